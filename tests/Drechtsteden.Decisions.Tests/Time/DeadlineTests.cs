using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Tests.Time;

public sealed class DeadlineTests
{
    [Test]
    public void A_date_in_summer_time_ends_at_midnight_Amsterdam_which_is_22_00_UTC()
    {
        var deadline = Deadline.EndOfDay(new DateOnly(2024, 9, 10));

        Assert.That(deadline.Instant, Is.EqualTo(new DateTimeOffset(2024, 9, 10, 22, 0, 0, TimeSpan.Zero)));
        Assert.That(deadline.LastDay, Is.EqualTo(new DateOnly(2024, 9, 10)));
    }

    [Test]
    public void A_date_in_winter_time_ends_at_midnight_Amsterdam_which_is_23_00_UTC() =>
        Assert.That(Deadline.EndOfDay(new DateOnly(2024, 12, 10)).Instant, Is.EqualTo(new DateTimeOffset(2024, 12, 10, 23, 0, 0, TimeSpan.Zero)));

    [TestCase(2024, 10, 26, "2024-10-26T22:00:00Z", TestName = "The day before the clocks go back ends in summer time")]
    [TestCase(2024, 10, 27, "2024-10-27T23:00:00Z", TestName = "The day the clocks go back (25 hours) ends in winter time")]
    [TestCase(2025, 3, 29, "2025-03-29T23:00:00Z", TestName = "The day before the clocks go forward ends in winter time")]
    [TestCase(2025, 3, 30, "2025-03-30T22:00:00Z", TestName = "The day the clocks go forward (23 hours) ends in summer time")]
    public void Deadlines_around_the_night_of_a_clock_change(int year, int month, int day, string expectedUtc) =>
        Assert.That(Deadline.EndOfDay(new DateOnly(year, month, day)).Instant, Is.EqualTo(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture)));

    [Test]
    public void A_deadline_has_not_passed_one_tick_before_it_and_has_passed_at_it()
    {
        var deadline = Deadline.EndOfDay(new DateOnly(2024, 9, 10));

        Assert.That(deadline.HasPassed(deadline.Instant.AddTicks(-1)), Is.False);
        Assert.That(deadline.HasPassed(deadline.Instant), Is.True);
    }

    [Test]
    public void An_exact_instant_is_accepted_and_kept_in_UTC()
    {
        var deadline = Deadline.AtInstant(new DateTimeOffset(2024, 9, 10, 17, 0, 0, TimeSpan.FromHours(2)));

        Assert.That(deadline.Instant, Is.EqualTo(new DateTimeOffset(2024, 9, 10, 15, 0, 0, TimeSpan.Zero)));
        Assert.That(deadline.Instant.Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(deadline.Date, Is.Null);
        Assert.That(deadline.LastDay, Is.EqualTo(new DateOnly(2024, 9, 10)));
    }

    [Test]
    public void A_wall_clock_time_skipped_by_summer_time_moves_forward_past_the_gap() =>
        // 30 March 2025, 02:30 does not exist in Amsterdam: the clocks jump from 02:00 to 03:00 (01:00 UTC).
        Assert.That(Amsterdam.At(new DateOnly(2025, 3, 30), new TimeOnly(2, 30)), Is.EqualTo(new DateTimeOffset(2025, 3, 30, 1, 0, 0, TimeSpan.Zero)));

    [Test]
    public void A_wall_clock_time_that_occurs_twice_is_its_first_occurrence() =>
        // 27 October 2024, 02:30 happens twice; the first time is still summer time (UTC+2).
        Assert.That(Amsterdam.At(new DateOnly(2024, 10, 27), new TimeOnly(2, 30)), Is.EqualTo(new DateTimeOffset(2024, 10, 27, 0, 30, 0, TimeSpan.Zero)));
}
