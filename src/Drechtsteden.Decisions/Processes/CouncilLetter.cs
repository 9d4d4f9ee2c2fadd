using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Processes;

/// <summary>
/// The raadsinformatiebrief (RIB): after the colleges decided, every council is informed with the same letter. Its body
/// is written with the concept (Markdown, one text for all); each municipality's copy only adds a header — the
/// municipality, the date, the zaaknummer and its own college's decision date. The body's hash, printed in every
/// copy's footer, is the same in all of them: proof that every council read the same text.
/// </summary>
public static class CouncilLetter
{
    /// <summary>The headings of the seed's letter (Dordrecht, 2024): the template a new process is offered.</summary>
    public static readonly IReadOnlyList<string> Headings =
    [
        "Hoe zijn de bevoegdheden rond dit onderwerp verdeeld?",
        "Wat is de aanleiding om deze informatie kenbaar te maken?",
        "Wat is de te delen informatie?",
        "Hoe verder na deze raadsinformatiebrief?",
        "Welke kosten zijn verbonden aan het proces?",
        "Wat zijn de belangrijkste gerelateerde besluiten?",
    ];

    /// <summary>The template: the six headings, each with a line to fill in.</summary>
    public static string Template { get; } = string.Join("\n\n", Headings.Select(h => $"## {h}\n\n…")) + "\n";

    /// <summary>
    /// The stored form of a body: line breaks as \n, no trailing white space on a line or at the end; null for none.
    /// Two bodies that differ only in that are the same letter and have the same hash.
    /// </summary>
    public static string? Normalize(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            return null;
        var lines = body.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n').Select(l => l.TrimEnd());
        return string.Join("\n", lines).Trim('\n');
    }

    /// <summary>SHA-256 of the normalized body's UTF-8 bytes, lower-case hex: what every copy's footer prints.</summary>
    public static string BodyHash(string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(body) ?? "")));

    /// <summary>The copy for one participating municipality, or null when the process has no letter.</summary>
    /// <param name="municipalityName">The municipality's name, for the header.</param>
    /// <param name="published">The embargo is lifted: the copy is dated with the publication; before that it is a draft without a date.</param>
    public static CouncilLetterCopy? CopyFor(DecisionProcess process, string municipalityCode, string municipalityName, bool published)
    {
        var concept = process.CurrentConcept;
        if (concept.CouncilLetter is not { } body)
            return null;
        var item = process.Item(municipalityCode);
        var decision = item.LatestDecision;
        var date = published && process.PublicationAt is { } at ? Amsterdam.DateOf(at) : (DateOnly?)null;
        return new CouncilLetterCopy(process.Id, process.Title, process.Reference, municipalityCode, municipalityName, date,
            decision is { IsAdoption: true } d && d.ConceptVersion == concept.Number ? d.DecidedOn : null,
            concept.Number, body, BodyHash(body));
    }
}

/// <summary>
/// One municipality's copy of the raadsinformatiebrief: its header and the shared body with its hash.
/// </summary>
/// <param name="Date">The letter's date: the publication's date in Amsterdam (null while it is a draft).</param>
/// <param name="CollegeDecidedOn">The date this municipality's college adopted the concept (null when it has not yet).</param>
public sealed record CouncilLetterCopy(Guid ProcessId, string Title, string Reference, string MunicipalityCode, string MunicipalityName, DateOnly? Date,
    DateOnly? CollegeDecidedOn, int ConceptVersion, string Body, string BodyHash)
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-NL");

    public bool IsDraft => Date is null;

    public static string DutchDate(DateOnly date) => date.ToString("d MMMM yyyy", Dutch);

    /// <summary>The header lines, in Dutch, in the order every rendering prints them.</summary>
    public IReadOnlyList<(string Label, string Value)> Header =>
    [
        ("Aan", $"de gemeenteraad van {MunicipalityName}"),
        ("Datum", Date is { } d ? DutchDate(d) : "concept — nog niet gepubliceerd"),
        ("Zaaknummer", Reference),
        ("Onderwerp", Title),
        ("Besluit college", CollegeDecidedOn is { } c ? $"het college van {MunicipalityName} stemde op {DutchDate(c)} in met het regionale concept (versie {ConceptVersion})" : "nog niet besloten"),
    ];

    /// <summary>The footer line with the body's hash.</summary>
    public string Footer => $"Gelijkluidende tekst voor alle deelnemende raden · SHA-256 van de tekst: {BodyHash}";
}
