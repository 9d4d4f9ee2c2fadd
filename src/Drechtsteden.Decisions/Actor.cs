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

    /// <summary>Griffier: confirms that the raadsinformatiebrief was placed before the council of their own municipality.</summary>
    Griffier,
}

public static class Roles
{
    /// <summary>The roles that act for one municipality only (secretary, college, griffier): the one rule every check reads.</summary>
    public static bool IsMunicipal(this Role role) => role is Role.Secretary or Role.College or Role.Griffier;
}

/// <summary>Who does something: every command carries one, and the audit trail records it.</summary>
public sealed record Actor(string UserId, string DisplayName, Role Role, string? MunicipalityCode = null)
{
    public static readonly Actor SystemActor = new("system", "Drechtsteden.Decisions", Role.System);

    /// <summary>True when the actor acts for this municipality (secretaries, colleges and griffiers act only for their own).</summary>
    public bool ActsFor(string municipalityCode) => string.Equals(MunicipalityCode, municipalityCode, StringComparison.Ordinal);
}
