namespace Drechtsteden.Decisions.Time;

/// <summary>
/// The time zone in which users mean their dates. Instants are stored in UTC; a date is turned into an instant here
/// and nowhere else, so summer time and the nights of the clock change are handled in one place.
/// </summary>
public static class Amsterdam
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    /// <summary>The calendar date in Amsterdam at an instant.</summary>
    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    /// <summary>Local wall-clock time in Amsterdam at an instant.</summary>
    public static DateTimeOffset ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    /// <summary>
    /// The instant at which the Amsterdam clock shows <paramref name="time"/> on <paramref name="date"/>. A time that
    /// does not exist (skipped when the clocks go forward) moves forward by the gap; a time that exists twice (when the
    /// clocks go back) is its first occurrence, in summer time.
    /// </summary>
    public static DateTimeOffset At(DateOnly date, TimeOnly time)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        while (Zone.IsInvalidTime(local))
            local = local.AddMinutes(15);
        var offset = Zone.IsAmbiguousTime(local)
            ? Zone.GetAmbiguousTimeOffsets(local).Max()
            : Zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    public static DateTimeOffset StartOfDay(DateOnly date) => At(date, TimeOnly.MinValue);
}
