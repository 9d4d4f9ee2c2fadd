using PublicHoliday;

namespace Drechtsteden.Decisions.Time;

/// <summary>How a timer that falls on a weekend or a Dutch public holiday is moved.</summary>
public enum WorkingDayRule
{
    /// <summary>Keep the day as computed.</summary>
    None,

    /// <summary>Move back to the previous working day (a reminder should come early rather than late).</summary>
    Previous,

    /// <summary>Move on to the next working day.</summary>
    Next,
}

/// <summary>Working days in the Netherlands: Monday to Friday, except Dutch public holidays (PublicHoliday library).</summary>
public static class WorkingDays
{
    private static readonly DutchPublicHoliday Holidays = new();

    public static bool IsPublicHoliday(DateOnly date) => Holidays.IsPublicHoliday(date.ToDateTime(TimeOnly.MinValue));

    public static bool IsWorkingDay(DateOnly date) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !IsPublicHoliday(date);

    public static DateOnly Apply(DateOnly date, WorkingDayRule rule)
    {
        var step = rule switch
        {
            WorkingDayRule.Previous => -1,
            WorkingDayRule.Next => 1,
            _ => 0,
        };
        if (step == 0)
            return date;
        while (!IsWorkingDay(date))
            date = date.AddDays(step);
        return date;
    }
}
