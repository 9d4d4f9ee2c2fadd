using Drechtsteden.Decisions.Regions;
using Microsoft.Extensions.Options;

namespace Drechtsteden.Decisions.Web.Zgw;

/// <summary>
/// The ZGW Besluiten API's settings (section "Zgw"): the besluittype every college decision gets, and per municipality
/// its RSIN. RSINs are never made up: a municipality without one configured has no Besluiten in the API.
/// </summary>
public sealed class ZgwOptions
{
    public const string Section = "Zgw";

    /// <summary>URL of the BESLUITTYPE (Catalogi API) of a synchronized college decision.</summary>
    public Uri? BesluittypeUrl { get; set; }

    /// <summary>RSIN per CBS code (GM0505 → nine digits passing the 11-proef).</summary>
    public Dictionary<string, string> Rsin { get; set; } = [];

    /// <summary>True when the RSINs are the demo's invented numbers (they pass the 11-proef, they belong to no one).</summary>
    public bool DemoNumbers { get; set; }

    public string? RsinOf(string municipalityCode) => Rsin.GetValueOrDefault(municipalityCode);

    public IReadOnlyList<string> MunicipalitiesWith(string rsin) => [.. Rsin.Where(r => r.Value == rsin).Select(r => r.Key)];
}

internal sealed class ZgwOptionsValidation : IValidateOptions<ZgwOptions>
{
    public ValidateOptionsResult Validate(string? name, ZgwOptions options)
    {
        var errors = new List<string>();
        foreach (var (code, rsin) in options.Rsin)
        {
            if (!MunicipalityCode.IsValid(code))
                errors.Add($"Zgw:Rsin:{code}: '{code}' is not a CBS municipality code (GM followed by four digits).");
            if (!Decisions.Regions.Rsin.IsValid(rsin))
                errors.Add($"Zgw:Rsin:{code}: '{rsin}' is not an RSIN (nine digits passing the 11-proef).");
        }
        if (options.BesluittypeUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https") || url.OriginalString.Length > 200))
            errors.Add("Zgw:BesluittypeUrl must be an absolute http(s) URL of at most 200 characters.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
