using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Zgw;

/// <summary>
/// A BESLUIT in the shape of the ZGW Besluiten API 1.0.x: one per college decision (adopted, adopted with amendments
/// or rejected; a deferral decides nothing). Nulls that the standard does not allow are left out.
/// </summary>
public sealed record Besluit(
    string Url,
    string Identificatie,
    string VerantwoordelijkeOrganisatie,
    string Besluittype,
    string Datum,
    string Toelichting,
    string Bestuursorgaan,
    string Ingangsdatum,
    string? Vervaldatum,
    string? Publicatiedatum,
    string? Verzenddatum,
    string? UiterlijkeReactiedatum)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Zaak { get; init; }
}

/// <summary>A page of the list, as the standard pages it: the total, the neighbouring pages' URLs and the results.</summary>
public sealed record BesluitenPage(int Count, string? Next, string? Previous, IReadOnlyList<Besluit> Results);

/// <summary>
/// The college decisions as ZGW Besluiten, read-only. Visible only once the process is published (its state lifts the
/// embargo) and only to an auditor (every municipality) or an integration token with the scope besluiten.lezen (its
/// one municipality); only municipalities with a configured RSIN appear, as the standard requires one.
/// </summary>
public sealed partial class Besluiten(DecisionsDbContext db, WorkflowCatalog catalog, ZgwOptions options, AppOptions app, AuditExport export)
{
    public const int PageSize = 100;

    private static readonly string[] Sides = ["oud", "nieuw"];

    /// <summary>Which municipalities the caller may read (null: all), or a refusal.</summary>
    public static IReadOnlyList<string>? ScopeOf(ClaimsPrincipal user)
    {
        if (user.ToActor() is { Role: Role.Auditor })
            return null;
        if (user.FindFirst(DecisionsClaims.Scope)?.Value == ApiToken.BesluitenLezen && user.FindFirst(DecisionsClaims.ScopeMunicipality)?.Value is { Length: > 0 } code)
            return [code];
        throw DomainException.Forbidden("zgw-not-allowed", "The Besluiten API is read by auditors and by integration tokens with the scope besluiten.lezen.");
    }

    public Uri BaseUrl => new(app.PublicBaseUrl, "zgw/besluiten/api/v1/");

    /// <summary>A class with init properties, not a positional record: EF Core filters and pages on a member-init projection.</summary>
    private sealed class Row
    {
        public Guid Id { get; init; }
        public int Sequence { get; init; }
        public DecisionOutcome Outcome { get; init; }
        public int ConceptVersion { get; init; }
        public DateOnly DecidedOn { get; init; }
        public string? Text { get; init; }
        public string? Reason { get; init; }
        public string MunicipalityCode { get; init; } = "";
        public string MunicipalityName { get; init; } = "";
        public Guid ProcessId { get; init; }
        public string Reference { get; init; } = "";
        public string Title { get; init; } = "";
        public DateTimeOffset? PublicationAt { get; init; }
    }

    private IQueryable<Row> Published(IReadOnlyList<string>? scope)
    {
        var lifted = catalog.PublishedStates;
        var withRsin = options.Rsin.Keys.Where(c => scope is null || scope.Contains(c)).ToList();
        return from d in db.Set<Decision>()
               join i in db.AgendaItems on d.ItemId equals i.Id
               join p in db.Processes on i.ProcessId equals p.Id
               join m in db.Municipalities on i.MunicipalityCode equals m.Code
               where lifted.Contains(p.State) && d.Outcome != DecisionOutcome.Deferred && withRsin.Contains(i.MunicipalityCode)
               select new Row
               {
                   Id = d.Id, Sequence = d.Sequence, Outcome = d.Outcome, ConceptVersion = d.ConceptVersion, DecidedOn = d.DecidedOn, Text = d.Text, Reason = d.Reason,
                   MunicipalityCode = i.MunicipalityCode, MunicipalityName = m.Name, ProcessId = p.Id, Reference = p.Reference, Title = p.Title, PublicationAt = p.PublicationAt,
               };
    }

    public async Task<BesluitenPage> ListAsync(IReadOnlyList<string>? scope, string? verantwoordelijkeOrganisatie, string? identificatie, int page, CancellationToken cancellationToken)
    {
        if (page < 1)
            throw DomainException.Invalid("page-invalid", "page is 1 or more.", "page");
        var query = Published(scope).AsNoTracking();
        if (verantwoordelijkeOrganisatie is not null)
        {
            var codes = options.MunicipalitiesWith(verantwoordelijkeOrganisatie);
            query = query.Where(r => codes.Contains(r.MunicipalityCode));
        }
        if (identificatie is not null)
        {
            if (ByNumber().Match(identificatie) is { Success: true } n)
            {
                var (reference, code, sequence) = (n.Groups["ref"].Value, n.Groups["gm"].Value, int.Parse(n.Groups["seq"].Value, CultureInfo.InvariantCulture));
                query = query.Where(r => r.Reference == reference && r.MunicipalityCode == code && r.Sequence == sequence);
            }
            else if (ById().Match(identificatie) is { Success: true } g)
            {
                var id = Guid.ParseExact(g.Groups["id"].Value, "N");
                query = query.Where(r => r.Id == id);
            }
            else
            {
                query = query.Where(_ => false);
            }
        }
        var count = await query.CountAsync(cancellationToken);
        var rows = await query.OrderBy(r => r.Id).Skip((page - 1) * PageSize).Take(PageSize).ToListAsync(cancellationToken);
        string? PageUrl(int number)
        {
            var parameters = new List<string>();
            if (verantwoordelijkeOrganisatie is not null)
                parameters.Add($"verantwoordelijkeOrganisatie={Uri.EscapeDataString(verantwoordelijkeOrganisatie)}");
            if (identificatie is not null)
                parameters.Add($"identificatie={Uri.EscapeDataString(identificatie)}");
            parameters.Add($"page={number.ToString(CultureInfo.InvariantCulture)}");
            return new Uri(BaseUrl, "besluiten?" + string.Join('&', parameters)).ToString();
        }
        return new BesluitenPage(count, page * PageSize < count ? PageUrl(page + 1) : null, page > 1 && count > 0 ? PageUrl(Math.Min(page - 1, (count + PageSize - 1) / PageSize)) : null,
            rows.Select(ToBesluit).ToList());
    }

    public async Task<Besluit?> GetAsync(IReadOnlyList<string>? scope, Guid id, CancellationToken cancellationToken) =>
        await Published(scope).AsNoTracking().Where(r => r.Id == id).FirstOrDefaultAsync(cancellationToken) is { } row ? ToBesluit(row) : null;

    /// <summary>The audit trail of one BESLUIT: the entries of its process's chain about this decision, as ZGW AuditTrail objects.</summary>
    public async Task<JsonArray?> AuditTrailAsync(IReadOnlyList<string>? scope, Guid id, CancellationToken cancellationToken)
    {
        if (await Published(scope).AsNoTracking().Where(r => r.Id == id).FirstOrDefaultAsync(cancellationToken) is not { } row)
            return null;
        var resource = id.ToString();
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.ChainId == row.ProcessId && e.ResourceId == resource).OrderBy(e => e.ChainSequence).ToListAsync(cancellationToken);
        var url = new Uri(BaseUrl, $"besluiten/{id:D}").ToString();
        return new JsonArray(entries.Select(e =>
        {
            var zgw = export.ToZgw(e);
            zgw["hoofdObject"] = url;
            zgw["resourceUrl"] = url;
            // The standard's "wijzigingen" holds objects: a side that did not exist is left out, not null.
            var changes = zgw["wijzigingen"]!.AsObject();
            foreach (var side in Sides.Where(s => changes[s] is null))
                changes.Remove(side);
            return (JsonNode?)zgw;
        }).ToArray());
    }

    private Besluit ToBesluit(Row r)
    {
        static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var number = $"{r.Reference}-{r.MunicipalityCode}-{r.Sequence.ToString(CultureInfo.InvariantCulture)}";
        var outcome = r.Outcome switch
        {
            DecisionOutcome.Adopted => "Vastgesteld, gelijkluidend aan het regionale concept",
            DecisionOutcome.AdoptedWithAmendments => "Vastgesteld met wijzigingen",
            _ => "Verworpen",
        };
        var toelichting = $"{outcome} (conceptversie {r.ConceptVersion.ToString(CultureInfo.InvariantCulture)}) — {r.Title}, zaaknummer {r.Reference}."
            + (r.Text is { Length: > 0 } text ? $"\n\nBesluittekst:\n{text}" : "") + (r.Reason is { Length: > 0 } reason ? $"\n\nReden: {reason}" : "");
        var publication = r.PublicationAt is { } at ? Date(Time.Amsterdam.DateOf(at)) : null;
        return new Besluit(
            new Uri(BaseUrl, $"besluiten/{r.Id:D}").ToString(),
            number.Length <= 50 ? number : $"{r.MunicipalityCode}-{r.Id:N}",
            options.RsinOf(r.MunicipalityCode)!,
            options.BesluittypeUrl?.ToString() ?? throw DomainException.Conflict("zgw-not-configured", "Zgw:BesluittypeUrl is not configured: the Besluiten API needs the besluittype's URL."),
            Date(r.DecidedOn),
            toelichting,
            Limit($"College van B&W {r.MunicipalityName}", 50),
            Date(r.DecidedOn),
            null,
            publication,
            publication,
            null);
    }

    private static string Limit(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    [GeneratedRegex(@"^(?<ref>.+)-(?<gm>GM\d{4})-(?<seq>\d{1,6})$")]
    private static partial Regex ByNumber();

    [GeneratedRegex(@"^GM\d{4}-(?<id>[0-9a-f]{32})$")]
    private static partial Regex ById();
}
