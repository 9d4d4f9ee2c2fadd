using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Tests.Agenda;

public sealed class MeetingCalendarTests
{
    private static List<DateOnly> Tuesdays2024() =>
        MeetingCalendar.Weekly(DayOfWeek.Tuesday, new TimeOnly(10, 0), new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)).Select(Amsterdam.DateOf).ToList();

    [Test]
    public void Colleges_meet_weekly_on_their_day_at_their_local_time()
    {
        var meetings = MeetingCalendar.Weekly(DayOfWeek.Tuesday, new TimeOnly(10, 0), new DateOnly(2024, 9, 1), new DateOnly(2024, 9, 30)).ToList();

        Assert.That(meetings.Select(Amsterdam.DateOf), Is.EqualTo(new[] { new DateOnly(2024, 9, 3), new DateOnly(2024, 9, 10), new DateOnly(2024, 9, 17), new DateOnly(2024, 9, 24) }));
        Assert.That(meetings.Select(m => Amsterdam.ToLocal(m).TimeOfDay), Is.All.EqualTo(TimeSpan.FromHours(10)));
    }

    [Test]
    public void No_meetings_in_the_summer_recess()
    {
        var summer = Tuesdays2024().Where(d => d.Month is 7 or 8).ToList();

        Assert.That(summer, Has.No.Member(new DateOnly(2024, 7, 23)).And.No.Member(new DateOnly(2024, 8, 13)));
        Assert.That(summer, Has.Member(new DateOnly(2024, 7, 9)).And.Member(new DateOnly(2024, 8, 20)));
    }

    [Test]
    public void No_meetings_on_public_holidays()
    {
        var christmas2024 = MeetingCalendar.Weekly(DayOfWeek.Wednesday, new TimeOnly(9, 0), new DateOnly(2024, 12, 20), new DateOnly(2024, 12, 31)).Select(Amsterdam.DateOf);

        Assert.That(christmas2024, Has.No.Member(new DateOnly(2024, 12, 25)));
        Assert.That(Tuesdays2024(), Has.Count.EqualTo(53 - 5), "53 Tuesdays in 2024 (2 January to 31 December), minus 5 recess weeks; none falls on a holiday");
    }
}
