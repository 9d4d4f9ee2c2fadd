using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Councils;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Woo;

/// <summary>
/// Active disclosure under the Wet open overheid: per municipality a sitemap with DiWoo metadata (version 0.9.8) that
/// the municipality's Woo-index connector harvests — for every published process the college's decision (information
/// category "agenda's en besluitenlijsten bestuurscolleges") and the raadsinformatiebrief ("bij vertegenwoordigende
/// organen ingekomen stukken"), the publisher the municipality's TOOI URI. Only what is published appears; the
/// documents the sitemap points to are public pages of their own.
/// </summary>
public sealed class WooPublication(DecisionsDbContext db, WorkflowCatalog catalog, AppOptions app)
{
    public static readonly XNamespace Sitemap = "http://www.sitemaps.org/schemas/sitemap/0.9";
    public static readonly XNamespace DiWoo = "https://standaarden.overheid.nl/diwoo/metadata/";
    private const string Kern = "https://identifier.overheid.nl/tooi/def/thes/kern/";

    /// <summary>Woo art. 3.3 lid 2 sub d: agenda's en besluitenlijsten bestuurscolleges.</summary>
    public const string DecisionsCategory = Kern + "c_3a248e3a";

    /// <summary>Woo art. 3.3 lid 2 sub a: bij vertegenwoordigende organen ingekomen stukken (the council receives the letter).</summary>
    public const string CouncilLetterCategory = Kern + "c_8c840238";

    private const string Vaststelling = Kern + "c_641ecd76";
    private const string VerwijstNaar = Kern + "c_75fac459";

    /// <summary>The TOOI URI of a municipality: https://identifier.overheid.nl/tooi/id/gemeente/gm0505.</summary>
    public static string TooiUri(string municipalityCode) => "https://identifier.overheid.nl/tooi/id/gemeente/" + municipalityCode.ToLowerInvariant();

    /// <summary>One published process as a municipality discloses it.</summary>
    public sealed record Published(DecisionProcess Process, AgendaItem Item, string MunicipalityName);

    public async Task<IReadOnlyList<Published>> PublishedAsync(string municipalityCode, Guid? processId, CancellationToken cancellationToken)
    {
        var lifted = catalog.PublishedStates;
        var name = await db.Municipalities.AsNoTracking().Where(m => m.Code == municipalityCode).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken);
        if (name is null)
            return [];
        var processes = await db.ProcessAggregates.AsNoTracking()
            .Where(p => lifted.Contains(p.State) && p.Items.Any(i => i.MunicipalityCode == municipalityCode) && (processId == null || p.Id == processId))
            .OrderByDescending(p => p.PublicationAt).Take(1000).ToListAsync(cancellationToken);
        return [.. processes.Select(p => new Published(p, p.Item(municipalityCode), name))];
    }

    public async Task<Published?> PublishedOneAsync(string municipalityCode, Guid processId, CancellationToken cancellationToken) =>
        await PublishedAsync(municipalityCode, processId, cancellationToken) is [var one, ..] ? one : null;

    public Uri DecisionUrl(Published p) => new(app.PublicBaseUrl, $"woo/{p.Item.MunicipalityCode}/{p.Process.Id:D}/besluit");

    public Uri LetterUrl(Published p) => new(app.PublicBaseUrl, $"woo/{p.Item.MunicipalityCode}/{p.Process.Id:D}/raadsinformatiebrief");

    /// <summary>The sitemap with a DiWoo record per document.</summary>
    public XDocument SitemapOf(IReadOnlyList<Published> published) => new(new XDeclaration("1.0", "utf-8", null),
        new XElement(Sitemap + "urlset", new XAttribute(XNamespace.Xmlns + "diwoo", DiWoo),
            published.SelectMany(p => Urls(p))));

    private IEnumerable<XElement> Urls(Published p)
    {
        var decision = p.Item.LatestDecision;
        var publishedOn = p.Process.PublicationAt is { } at ? at : p.Process.UpdatedAt;
        if (decision is not null && decision.Outcome != DecisionOutcome.Deferred)
            yield return Url(DecisionUrl(p), publishedOn, DecisionRecord(p, decision));
        if (p.Process.CurrentConcept.CouncilLetter is not null)
            yield return Url(LetterUrl(p), publishedOn, LetterRecord(p, publishedOn));
    }

    private static XElement Url(Uri location, DateTimeOffset modified, XElement document) => new(Sitemap + "url",
        new XElement(Sitemap + "loc", location.ToString()),
        new XElement(Sitemap + "lastmod", Amsterdam.DateOf(modified).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        document);

    /// <summary>The college's decision: "vaststelling" on its meeting's date.</summary>
    public XElement DecisionRecord(Published p, Decision decision)
    {
        var outcome = decision.Outcome switch
        {
            DecisionOutcome.Adopted => "vastgesteld, gelijkluidend aan het regionale concept",
            DecisionOutcome.AdoptedWithAmendments => "vastgesteld met wijzigingen",
            _ => "verworpen",
        };
        return Record(p,
            [p.Process.Reference, decision.Id.ToString("D")],
            $"Besluit van het college van burgemeester en wethouders van {p.MunicipalityName}: {p.Process.Title}",
            $"Het college heeft op {decision.DecidedOn.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("nl-NL"))} het regionale voorstel ‘{p.Process.Title}’ (zaaknummer {p.Process.Reference}) {outcome} (conceptversie {decision.ConceptVersion}). Synchroon gelijkluidend besloten in de regio.",
            DecisionsCategory, "agenda’s en besluitenlijsten bestuurscolleges", decision.DecidedOn, Amsterdam.StartOfDay(decision.DecidedOn), null);
    }

    /// <summary>The raadsinformatiebrief: "vaststelling" at the publication instant; it refers to the decision.</summary>
    public XElement LetterRecord(Published p, DateTimeOffset publishedAt)
    {
        var body = p.Process.CurrentConcept.CouncilLetter!;
        return Record(p,
            [p.Process.Reference, "sha256:" + CouncilLetter.BodyHash(body)],
            $"Raadsinformatiebrief {p.MunicipalityName}: {p.Process.Title}",
            $"De raadsinformatiebrief over ‘{p.Process.Title}’ (zaaknummer {p.Process.Reference}), dezelfde tekst voor alle deelnemende raden.",
            CouncilLetterCategory, "bij vertegenwoordigende organen ingekomen stukken", Amsterdam.DateOf(publishedAt), publishedAt, DecisionUrl(p));
    }

    private static XElement Record(Published p, string[] identifiers, string title, string description, string category, string categoryLabel, DateOnly created,
        DateTimeOffset handledAt, Uri? refersTo)
    {
        XElement Organisation(string element) => new(DiWoo + element, new XAttribute("resource", TooiUri(p.Item.MunicipalityCode)), $"gemeente {p.MunicipalityName}");
        return new XElement(DiWoo + "Document",
            new XElement(DiWoo + "DiWoo",
                new XElement(DiWoo + "identifiers", identifiers.Select(i => new XElement(DiWoo + "identifier", i))),
                Organisation("publisher"),
                Organisation("verantwoordelijke"),
                new XElement(DiWoo + "titelcollectie", new XElement(DiWoo + "officieleTitel", title)),
                new XElement(DiWoo + "omschrijvingen", new XElement(DiWoo + "omschrijving", description)),
                new XElement(DiWoo + "classificatiecollectie",
                    new XElement(DiWoo + "informatiecategorieen", new XElement(DiWoo + "informatiecategorie", new XAttribute("resource", category), categoryLabel))),
                new XElement(DiWoo + "creatiedatum", created.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                new XElement(DiWoo + "documenthandelingen",
                    new XElement(DiWoo + "documenthandeling",
                        new XElement(DiWoo + "soortHandeling", new XAttribute("resource", Vaststelling), "vaststelling"),
                        new XElement(DiWoo + "atTime", handledAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                        Organisation("wasAssociatedWith"))),
                refersTo is null ? null : new XElement(DiWoo + "documentrelaties",
                    new XElement(DiWoo + "documentrelatie",
                        new XElement(DiWoo + "role", new XAttribute("resource", VerwijstNaar), "verwijst naar"),
                        new XElement(DiWoo + "relation", new XAttribute("resource", refersTo.ToString()), "besluit van het college")))));
    }

    /// <summary>A published document as a small public HTML page (what the sitemap's loc points to).</summary>
    public static string Page(string title, string headerHtml, string bodyHtml, string? footer)
    {
        var encoded = WebUtility.HtmlEncode(title);
        var foot = footer is null ? "" : $"<footer><p>{WebUtility.HtmlEncode(footer)}</p></footer>";
        return $$"""
            <!DOCTYPE html>
            <html lang="nl">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{encoded}}</title>
            <style>body{font-family:Arial,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}dt{font-weight:bold}footer{border-top:1px solid #ccc;margin-top:2rem;font-size:.85rem;overflow-wrap:anywhere}</style></head>
            <body><main><h1>{{encoded}}</h1>{{headerHtml}}{{bodyHtml}}</main>{{foot}}</body>
            </html>
            """;
    }

    public static string HeaderHtml(IEnumerable<(string Label, string Value)> lines) =>
        "<dl>" + string.Concat(lines.Select(l => $"<dt>{WebUtility.HtmlEncode(l.Label)}</dt><dd>{WebUtility.HtmlEncode(l.Value)}</dd>")) + "</dl>";
}
