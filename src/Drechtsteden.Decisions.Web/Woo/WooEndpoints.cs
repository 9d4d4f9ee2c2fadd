using System.Globalization;
using System.Net;
using System.Text;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Councils;

namespace Drechtsteden.Decisions.Web.Woo;

/// <summary>
/// What the Woo-index connector of a municipality reads, without signing in (it is published information):
/// /woo/{gm}/sitemap.xml and the documents it lists. Nothing of a process appears before its publication.
/// </summary>
public static class WooEndpoints
{
    public static IServiceCollection AddWoo(this IServiceCollection services) => services.AddScoped<WooPublication>();

    public static WebApplication MapWoo(this WebApplication app)
    {
        var woo = app.MapGroup("/woo/{code}").AllowAnonymous().WithTags("Woo").ExcludeFromDescription();
        woo.MapGet("/sitemap.xml", SitemapAsync);
        woo.MapGet("/{id:guid}/besluit", DecisionAsync);
        woo.MapGet("/{id:guid}/raadsinformatiebrief", LetterAsync);
        return app;
    }

    private static async Task<IResult> SitemapAsync(string code, WooPublication woo, CancellationToken cancellationToken)
    {
        var published = await woo.PublishedAsync(code.ToUpperInvariant(), null, cancellationToken);
        var document = woo.SitemapOf(published);
        using var stream = new MemoryStream();
        // UTF-8 without a byte order mark: harvesters read the XML declaration.
        await using (var writer = System.Xml.XmlWriter.Create(stream, new System.Xml.XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, Async = true }))
            await document.SaveAsync(writer, cancellationToken);
        return Results.Bytes(stream.ToArray(), "application/xml; charset=utf-8");
    }

    private static async Task<IResult> DecisionAsync(string code, Guid id, WooPublication woo, CancellationToken cancellationToken)
    {
        if (await woo.PublishedOneAsync(code.ToUpperInvariant(), id, cancellationToken) is not { Item.LatestDecision: { Outcome: not DecisionOutcome.Deferred } decision } p)
            return Results.NotFound();
        var dutch = CultureInfo.GetCultureInfo("nl-NL");
        var header = WooPublication.HeaderHtml(
        [
            ("Bestuursorgaan", $"college van burgemeester en wethouders van {p.MunicipalityName}"),
            ("Zaaknummer", p.Process.Reference),
            ("Besluitdatum", decision.DecidedOn.ToString("d MMMM yyyy", dutch)),
            ("Uitkomst", decision.Outcome switch { DecisionOutcome.Adopted => "vastgesteld", DecisionOutcome.AdoptedWithAmendments => "vastgesteld met wijzigingen", _ => "verworpen" }),
            ("Conceptversie", decision.ConceptVersion.ToString(CultureInfo.InvariantCulture)),
        ]);
        var body = decision.Text is { } text ? $"<h2>Besluittekst</h2><p style=\"white-space:pre-wrap\">{WebUtility.HtmlEncode(text)}</p>" : "";
        return Results.Content(WooPublication.Page($"Besluit college {p.MunicipalityName}: {p.Process.Title}", header, body, null), "text/html; charset=utf-8", Encoding.UTF8);
    }

    private static async Task<IResult> LetterAsync(string code, Guid id, WooPublication woo, CancellationToken cancellationToken)
    {
        if (await woo.PublishedOneAsync(code.ToUpperInvariant(), id, cancellationToken) is not { } p
            || CouncilLetter.CopyFor(p.Process, p.Item.MunicipalityCode, p.MunicipalityName, published: true) is not { } copy)
            return Results.NotFound();
        return Results.Content(WooPublication.Page("Raadsinformatiebrief", WooPublication.HeaderHtml(copy.Header), CouncilLetterRendering.BodyHtml(copy.Body), copy.Footer),
            "text/html; charset=utf-8", Encoding.UTF8);
    }
}
