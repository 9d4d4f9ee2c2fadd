namespace Drechtsteden.Decisions.Time;

/// <summary>
/// The time zone in which users mean their dates. Instants are stored in UTC; a date is turned into an instant here
/// and nowhere else, so summer time and the nights of the clock change are handled in one place.
/// </summary>
public static class Amsterdam
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    /// <summary>The calendar date in Amsterdam at an instant.</summary>
    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(instant.UtcDateTime + OffsetAt(instant));

    /// <summary>Local wall-clock time in Amsterdam at an instant.</summary>
    public static DateTimeOffset ToLocal(DateTimeOffset instant) => instant.ToOffset(OffsetAt(instant));

    /// <summary>
    /// Amsterdam's offset from UTC at an instant, as <see cref="Zone"/> says. The zone's rules are looked up once per UTC
    /// hour: the clocks change on whole UTC hours (01:00 UTC), so an hour whose first and last tick have the same offset
    /// has it throughout, and is remembered; an hour in which the offset changes is looked up for the instant itself.
    /// (The list's status lights ask for dates hundreds of times per call; the zone's adjustment rules were ≈ 4 % of the
    /// app's CPU there, profiled.) <c>AmsterdamTests</c> compares this with the zone over random instants and every
    /// change of the clocks from 1970 to 2100.
    /// </summary>
    public static TimeSpan OffsetAt(DateTimeOffset instant)
    {
        var hour = instant.UtcTicks / TimeSpan.TicksPerHour;
        if (OffsetByHour.TryGetValue(hour, out var known))
            return known;
        var start = new DateTime(hour * TimeSpan.TicksPerHour, DateTimeKind.Utc);
        var offset = Zone.GetUtcOffset(start);
        if (Zone.GetUtcOffset(start.AddTicks(TimeSpan.TicksPerHour - 1)) != offset)
            return Zone.GetUtcOffset(instant.UtcDateTime);
        if (OffsetByHour.Count < RememberedHours)
            OffsetByHour.TryAdd(hour, offset);
        return offset;
    }

    /// <summary>At most this many hours are remembered (≈ 2 years of distinct hours; in practice the hours of meetings, deadlines and now).</summary>
    private const int RememberedHours = 20_000;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<long, TimeSpan> OffsetByHour = new();

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
