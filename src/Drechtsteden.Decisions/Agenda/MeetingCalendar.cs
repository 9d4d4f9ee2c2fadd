using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Agenda;

/// <summary>
/// A college's usual calendar: weekly on its meeting day at a fixed time, not on Dutch public holidays and not in the
/// summer recess. Used to give a new region (or the demo) meetings to schedule on; secretaries then adjust it.
/// </summary>
public static class MeetingCalendar
{
    /// <summary>The summer recess: roughly mid-July to mid-August (PRODUCT.md); weeks 29 to 33 by ISO week number.</summary>
    public static bool IsSummerRecess(DateOnly date)
    {
        var week = System.Globalization.ISOWeek.GetWeekOfYear(date.ToDateTime(TimeOnly.MinValue));
        return week is >= FirstRecessWeek and <= LastRecessWeek;
    }

    public const int FirstRecessWeek = 29;
    public const int LastRecessWeek = 33;

    /// <summary>The summer recess of a year, Monday of its first week to Sunday of its last.</summary>
    public static (DateOnly From, DateOnly Until) SummerRecess(int year) =>
        (DateOnly.FromDateTime(System.Globalization.ISOWeek.ToDateTime(year, FirstRecessWeek, DayOfWeek.Monday)),
         DateOnly.FromDateTime(System.Globalization.ISOWeek.ToDateTime(year, LastRecessWeek, DayOfWeek.Sunday)));

    public static IEnumerable<DateTimeOffset> Weekly(DayOfWeek day, TimeOnly time, DateOnly from, DateOnly until)
    {
        var date = from;
        while (date.DayOfWeek != day)
            date = date.AddDays(1);
        for (; date <= until; date = date.AddDays(7))
        {
            if (!WorkingDays.IsPublicHoliday(date) && !IsSummerRecess(date))
                yield return Amsterdam.At(date, time);
        }
    }
}
