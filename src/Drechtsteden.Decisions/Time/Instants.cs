namespace Drechtsteden.Decisions.Time;

public static class Instants
{
    /// <summary>The instant as PostgreSQL stores it: UTC, whole microseconds (a stored instant compares equal to its source).</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant) =>
        new(instant.UtcTicks - instant.UtcTicks % 10, TimeSpan.Zero);
}
