namespace Drechtsteden.Decisions;

public enum DomainErrorKind
{
    /// <summary>The input does not have the shape a field takes (too long, not an address): 400, naming the field.</summary>
    BadInput,

    /// <summary>The request itself is wrong (a missing text, an impossible date): fix the input.</summary>
    Invalid,

    /// <summary>The request is fine but the current state does not allow it (a meeting after the deadline, a second decision).</summary>
    Conflict,

    /// <summary>The actor's role or municipality may not do this.</summary>
    Forbidden,

    /// <summary>Something named in the request does not exist.</summary>
    NotFound,
}

/// <summary>
/// A rule of the process said no. <see cref="Code"/> is stable for programs (and the Dutch UI), <see cref="Message"/>
/// is a sentence for a person, <see cref="Field"/> names the input at fault when there is one.
/// </summary>
public sealed class DomainException(DomainErrorKind kind, string code, string message, string? field = null) : Exception(message)
{
    public DomainErrorKind Kind { get; } = kind;

    public string Code { get; } = code;

    public string? Field { get; } = field;

    public static DomainException Invalid(string code, string message, string? field = null) => new(DomainErrorKind.Invalid, code, message, field);

    public static DomainException Conflict(string code, string message) => new(DomainErrorKind.Conflict, code, message);

    public static DomainException Forbidden(string code, string message) => new(DomainErrorKind.Forbidden, code, message);

    public static DomainException NotFound(string code, string message) => new(DomainErrorKind.NotFound, code, message);
}
