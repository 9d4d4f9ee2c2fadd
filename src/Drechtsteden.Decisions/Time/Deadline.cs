namespace Drechtsteden.Decisions.Time;

/// <summary>
/// When colleges must have decided. A date means the end of that day in Amsterdam (the first instant of the next
/// day, exclusive); an exact instant is also accepted. Either way the deadline is one UTC instant.
/// </summary>
public sealed record Deadline
{
    private Deadline(DateTimeOffset instant, DateOnly? date)
    {
        Instant = instant.ToUniversalTime();
        Date = date;
    }

    /// <summary>The first instant that is too late.</summary>
    public DateTimeOffset Instant { get; }

    /// <summary>The date the user gave, when the deadline was given as a date.</summary>
    public DateOnly? Date { get; }

    /// <summary>The last day on which a college meeting still counts, in Amsterdam.</summary>
    public DateOnly LastDay => Date ?? Amsterdam.DateOf(Instant.AddTicks(-1));

    public static Deadline EndOfDay(DateOnly date) => new(Amsterdam.StartOfDay(date.AddDays(1)), date);

    public static Deadline AtInstant(DateTimeOffset instant) => new(instant, null);

    /// <summary>Rebuilds a stored deadline.</summary>
    public static Deadline FromStored(DateTimeOffset instant, DateOnly? date) => date is { } d ? EndOfDay(d) : AtInstant(instant);

    /// <summary>True from the deadline instant on, never a tick before it.</summary>
    public bool HasPassed(DateTimeOffset now) => now >= Instant;

    public override string ToString() => Date is { } d ? $"end of {d:yyyy-MM-dd} (Europe/Amsterdam)" : Instant.ToString("O");
}
