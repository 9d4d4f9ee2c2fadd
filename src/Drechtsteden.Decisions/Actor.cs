namespace Drechtsteden.Decisions;

/// <summary>The roles of PRODUCT.md; <see cref="System"/> is the engine itself (timers, jobs).</summary>
public enum Role
{
    Coordinator,
    Secretary,
    College,
    Auditor,
    Admin,
    System,
}

/// <summary>Who does something: every command carries one, and the audit trail records it.</summary>
public sealed record Actor(string UserId, string DisplayName, Role Role, string? MunicipalityCode = null)
{
    public static readonly Actor SystemActor = new("system", "Drechtsteden.Decisions", Role.System);

    /// <summary>True when the actor acts for this municipality (secretaries and colleges act only for their own).</summary>
    public bool ActsFor(string municipalityCode) => string.Equals(MunicipalityCode, municipalityCode, StringComparison.Ordinal);
}
