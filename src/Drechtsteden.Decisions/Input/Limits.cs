namespace Drechtsteden.Decisions.Input;

/// <summary>
/// The longest value each field a person gives may have. The database columns are configured from these constants
/// and every command is checked against them before it runs (<see cref="CommandInput"/>), so no value reaches
/// PostgreSQL that a column would refuse: the user is told which field is too long instead.
/// </summary>
public static class Limits
{
    public const int Title = 300;

    /// <summary>Zaaknummer.</summary>
    public const int Reference = 50;

    /// <summary>A concept's decision text, and a college's adopted text.</summary>
    public const int Text = 100_000;

    /// <summary>A link to a document.</summary>
    public const int Url = 2000;

    /// <summary>Reasons (deferral, rejection, extension, cancellation) and notes with a concept version.</summary>
    public const int Reason = 2000;

    /// <summary>A note with a college meeting.</summary>
    public const int MeetingNote = 500;

    /// <summary>An Idempotency-Key or a form's one-time key.</summary>
    public const int IdempotencyKey = 200;
}
