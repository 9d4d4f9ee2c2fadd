using System.Security.Claims;
using Drechtsteden.Decisions.Users;

namespace Drechtsteden.Decisions.Web.Auth;

/// <summary>The claims every sign-in method produces, and the actor they stand for.</summary>
public static class DecisionsClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";
    public const string Municipality = "municipality";
    public const string Region = "region";

    /// <summary>An integration token's scope (e.g. besluiten.lezen) and the municipality it is limited to.</summary>
    public const string Scope = "scope";
    public const string ScopeMunicipality = "scope_municipality";

    public static IEnumerable<Claim> For(UserAccount user)
    {
        yield return new Claim(Subject, user.Id);
        yield return new Claim(Name, user.DisplayName);
        yield return new Claim(Role, user.Role.ToString());
        if (user.MunicipalityCode is { } municipality)
            yield return new Claim(Municipality, municipality);
        if (user.RegionCode is { } region)
            yield return new Claim(Region, region);
    }

    /// <summary>How an actor is named when acting with an API token someone else minted for them.</summary>
    public static string MintedFor(string displayName, string tokenName, string mintedBy)
    {
        var name = $"{displayName} (API-token \"{tokenName}\", aangemaakt door {mintedBy})";
        return name.Length <= 200 ? name : name[..199] + "…";
    }

    public static ClaimsPrincipal Principal(UserAccount user, string scheme) =>
        new(new ClaimsIdentity(For(user), scheme, Name, Role));

    /// <summary>The actor of a signed-in principal; null when it carries no known role.</summary>
    public static Actor? ToActor(this ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true)
            return null;
        var id = principal.FindFirst(Subject)?.Value ?? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        var role = principal.FindFirst(Role)?.Value ?? principal.FindFirst(ClaimTypes.Role)?.Value;
        if (id is null || !Enum.TryParse<Decisions.Role>(role, ignoreCase: false, out var parsed) || parsed == Decisions.Role.System)
            return null;
        var name = principal.FindFirst(Name)?.Value ?? principal.FindFirst(ClaimTypes.Name)?.Value ?? id;
        return new Actor(id, name, parsed, principal.FindFirst(Municipality)?.Value);
    }
}
