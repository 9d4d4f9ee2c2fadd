using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Tests.Time;

/// <summary>Amsterdam's dates and local times (looked up once per UTC hour) are exactly what the time zone says.</summary>
public sealed class AmsterdamTests
{
    private static void Same(DateTimeOffset instant)
    {
        var zone = TimeZoneInfo.ConvertTime(instant, Amsterdam.Zone);
        Assert.That(Amsterdam.ToLocal(instant), Is.EqualTo(zone).And.Property(nameof(DateTimeOffset.Offset)).EqualTo(zone.Offset), $"{instant:O}");
        Assert.That(Amsterdam.DateOf(instant), Is.EqualTo(DateOnly.FromDateTime(zone.DateTime)), $"{instant:O}");
    }

    [Test]
    public void Every_change_of_the_clocks_from_1970_to_2100_minute_by_minute_around_it()
    {
        var changes = 0;
        for (var year = 1970; year <= 2100; year++)
        {
            foreach (var rule in Amsterdam.Zone.GetAdjustmentRules().Where(r => r.DateStart.Year <= year && r.DateEnd.Year >= year))
            {
                foreach (var transition in new[] { rule.DaylightTransitionStart, rule.DaylightTransitionEnd })
                {
                    // Around the local wall-clock time of the change, in both offsets: every minute from 3 hours before to 3 after.
                    var day = transition.IsFixedDateRule
                        ? new DateTime(year, transition.Month, transition.Day)
                        : LastOrNth(year, transition.Month, transition.Week, transition.DayOfWeek);
                    var local = day + transition.TimeOfDay.TimeOfDay;
                    for (var minute = -180; minute <= 180; minute++)
                        Same(new DateTimeOffset(local.AddMinutes(minute), TimeSpan.FromHours(1)));
                    changes++;
                }
            }
        }
        Assert.That(changes, Is.GreaterThan(200), "the clocks change twice a year");
    }

    [Test]
    public void Random_instants_from_1900_to_2200()
    {
        var random = new Random(1);
        var from = new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        var to = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        for (var i = 0; i < 20_000; i++)
        {
            var instant = new DateTimeOffset(from + (long)(random.NextDouble() * (to - from)), TimeSpan.Zero);
            Same(instant);
            Same(instant); // the second time from the remembered hour
            Same(instant.ToOffset(TimeSpan.FromHours(random.Next(-12, 13))));
        }
    }

    private static DateTime LastOrNth(int year, int month, int week, DayOfWeek day)
    {
        var first = new DateTime(year, month, 1);
        var date = first.AddDays(((int)day - (int)first.DayOfWeek + 7) % 7 + 7 * (week - 1));
        while (date.Month != month)
            date = date.AddDays(-7);
        return date;
    }
}
