namespace Drechtsteden.Decisions.Users;

/// <summary>
/// A person who uses the system, with the role and municipality (or region) that scope what they may do and which
/// reminders reach them.
/// </summary>
public sealed class UserAccount
{
    private UserAccount()
    {
        Id = "";
        DisplayName = "";
        Email = "";
    }

    public UserAccount(string id, string displayName, string email, Role role, string? municipalityCode = null, string? regionCode = null)
    {
        Id = string.IsNullOrWhiteSpace(id) ? throw new ArgumentException("A user needs an id.", nameof(id)) : id.Trim();
        DisplayName = displayName.Trim();
        Email = email.Trim();
        Role = role;
        if (role.IsMunicipal() && municipalityCode is null)
            throw new ArgumentException($"A {role} acts for a municipality.", nameof(municipalityCode));
        MunicipalityCode = municipalityCode is null ? null : Regions.MunicipalityCode.Parse(municipalityCode);
        RegionCode = regionCode;
        Active = true;
    }

    public string Id { get; private set; }

    public string DisplayName { get; private set; }

    public string Email { get; private set; }

    public Role Role { get; private set; }

    /// <summary>For secretaries and colleges: the one municipality they act for.</summary>
    public string? MunicipalityCode { get; private set; }

    /// <summary>For coordinators: the region they coordinate (null: every region).</summary>
    public string? RegionCode { get; private set; }

    public bool Active { get; private set; }

    /// <summary>A password hash made by the host (PBKDF2); null for accounts that sign in elsewhere (OpenID Connect) or only use API tokens.</summary>
    public string? PasswordHash { get; private set; }

    public void SetPasswordHash(string? hash) => PasswordHash = hash;

    /// <summary>The kinds of message this person reads in the app only, not by e-mail (escalations always go out by e-mail).</summary>
    public string[] MailOptOut { get; private set; } = [];

    public void SetMailOptOut(IEnumerable<string> kinds) => MailOptOut = [.. kinds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public Actor AsActor() => new(Id, DisplayName, Role, MunicipalityCode);
}
