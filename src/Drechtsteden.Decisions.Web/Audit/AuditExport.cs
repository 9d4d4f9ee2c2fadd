using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>
/// A process's audit trail as ZGW AuditTrail objects (Besluiten API 1.0: we are a decision registration component,
/// bron "brc") plus a "keten" block with what is needed to re-verify the chain offline (docs/audit-trail.md), and per
/// entry its "verankering": the leaf in the transparency log, the inclusion proof, the checkpoint a witness cosigned
/// and the public keys — so verify-export can prove an entry without any database. Every export is itself recorded in
/// the process's chain.
/// </summary>
public sealed class AuditExport(DecisionsDbContext db, AuditTrail trail, AppOptions options, TransparencyLog log)
{
    public const string ApplicationId = "drechtsteden-decisions";
    public const string ApplicationName = "Drechtsteden.Decisions";

    private static readonly string[] CsvColumns =
    [
        "volgnummer", "aanmaakdatum", "actie", "actieWeergave", "gebruikersId", "gebruikersWeergave", "rol", "gemeente", "resource",
        "resourceUrl", "resourceWeergave", "toelichting", "resultaat", "oud", "nieuw", "vorigeHash", "hash",
        "canoniekeVorm", "logIndex", "inclusiebewijs", "checkpoint", "logSleutel", "getuigeSleutel",
    ];

    public async Task<JsonArray> ToJsonAsync(Guid processId, Actor actor, CancellationToken cancellationToken = default)
    {
        var entries = await ReadAndRecordAsync(processId, actor, "json", cancellationToken);
        var anchors = await AnchorsAsync(entries, cancellationToken);
        return new JsonArray(entries.Select(e =>
        {
            var zgw = ToZgw(e);
            zgw["keten"]!["verankering"] = anchors.TryGetValue(e.Id, out var anchor) ? anchor.ToJson() : null;
            return (JsonNode?)zgw;
        }).ToArray());
    }

    public async Task<string> ToCsvAsync(Guid processId, Actor actor, CancellationToken cancellationToken = default)
    {
        var entries = await ReadAndRecordAsync(processId, actor, "csv", cancellationToken);
        var anchors = await AnchorsAsync(entries, cancellationToken);
        // A BOM so that spreadsheet programs read UTF-8; cells that a spreadsheet would run as a formula are neutralised.
        // The checkpoint (a note of several lines) is base64 in a cell, so that every row stays one line.
        var csv = new StringBuilder("\uFEFF").AppendJoin(',', CsvColumns).Append("\r\n");
        foreach (var e in entries)
        {
            var anchor = anchors.GetValueOrDefault(e.Id);
            string?[] row =
            [
                e.ChainSequence.ToString(CultureInfo.InvariantCulture), Instant(e.RecordedAt), e.Action, ActionNames.Dutch(e.Action), e.ActorId, e.ActorName,
                e.ActorRole, e.ActorMunicipality, e.Resource, ResourceUrl(e).ToString(), e.ResourceName, e.Reason,
                e.Status.ToString(CultureInfo.InvariantCulture), e.Before, e.After, e.PreviousHash, e.Hash,
                AuditHash.CanonicalForm(e), anchor?.LeafIndex.ToString(CultureInfo.InvariantCulture), anchor is null ? null : string.Join(' ', anchor.Proof),
                anchor is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(anchor.Checkpoint)), anchor?.LogKey, anchor?.WitnessKey,
            ];
            csv.AppendJoin(',', row.Select(CsvCell)).Append("\r\n");
        }
        return csv.ToString();
    }

    /// <summary>Where an entry stands in the log: its leaf, the proof of inclusion in the cosigned checkpoint, and the keys to check it with.</summary>
    /// <summary>
    /// The trail for people who open it in Dutch Excel: semicolon-separated, UTF-8 with BOM, Amsterdam times, Dutch
    /// words for the actions and roles. For reading only; the verifiable export is <see cref="ToCsvAsync"/> (and JSON).
    /// </summary>
    public async Task<byte[]> ToExcelCsvAsync(Guid processId, Actor actor, CancellationToken cancellationToken = default)
    {
        var entries = await ReadAndRecordAsync(processId, actor, "csv-excel", cancellationToken);
        string[] columns = ["Nr.", "Tijdstip", "Door", "Rol", "Handeling", "Gemeente", "Toelichting", "Resultaat", "Hash"];
        var rows = entries.Select(e => new[]
        {
            e.ChainSequence.ToString(Pages.UiText.Dutch), Amsterdam.ToLocal(e.RecordedAt).ToString("dd-MM-yyyy HH:mm:ss", Pages.UiText.Dutch), e.ActorName,
            Enum.TryParse<Role>(e.ActorRole, out var role) ? Pages.UiText.Role(role) : e.ActorRole, ActionNames.Dutch(e.Action), e.ActorMunicipality ?? e.MunicipalityCode ?? "",
            e.Reason ?? "", e.Status.ToString(Pages.UiText.Dutch), e.Hash,
        });
        return Pages.Processen.MatrixExport.Csv(rows, columns);
    }

    public sealed record Anchor(long LeafIndex, IReadOnlyList<string> Proof, string Checkpoint, string LogKey, string WitnessKey)
    {
        public JsonObject ToJson() => new()
        {
            ["logIndex"] = LeafIndex,
            ["inclusiebewijs"] = new JsonArray(Proof.Select(p => (JsonNode?)p).ToArray()),
            ["checkpoint"] = Checkpoint,
            ["logSleutel"] = LogKey,
            ["getuigeSleutel"] = WitnessKey,
        };
    }

    /// <summary>The anchors of the entries a witnessed checkpoint covers; entries newer than it have none (yet).</summary>
    private async Task<Dictionary<long, Anchor>> AnchorsAsync(List<AuditEntry> entries, CancellationToken cancellationToken)
    {
        var anchors = new Dictionary<long, Anchor>();
        if (entries.Count == 0 || log.Key is not { } logKey || await log.StateAsync(cancellationToken) is not { LogId: { } logId })
            return anchors;
        var (witnessed, _) = await log.LatestWitnessedAsync(logId, cancellationToken);
        if (witnessed is null)
            return anchors;
        var ids = entries.Select(e => e.Id).ToArray();
        var leaves = await db.Database.SqlQuery<LeafRow>($"SELECT entry_id, leaf_index FROM audit_log WHERE entry_id = ANY({ids})")
            .ToListAsync(cancellationToken);
        var witnessKey = log.WitnessKeyOf(witnessed.Witness);
        foreach (var leaf in leaves.Where(l => l.LeafIndex < witnessed.Checkpoint.Size))
        {
            var proof = await log.ProofAsync(logId, Merkle.InclusionRanges(leaf.LeafIndex, witnessed.Checkpoint.Size), cancellationToken);
            anchors[leaf.EntryId] = new Anchor(leaf.LeafIndex, proof.Select(Convert.ToBase64String).ToList(), witnessed.Note.ToString(), logKey.Verifier.VerifierKey, witnessKey ?? "");
        }
        return anchors;
    }

    private sealed record LeafRow(long EntryId, long LeafIndex);

    /// <summary>One ZGW AuditTrail object, with our chain fields under "keten".</summary>
    public JsonObject ToZgw(AuditEntry e) => new()
    {
        ["uuid"] = e.Uuid.ToString("D"),
        ["bron"] = "brc",
        ["applicatieId"] = ApplicationId,
        ["applicatieWeergave"] = ApplicationName,
        ["gebruikersId"] = Limit(e.ActorId, 255),
        ["gebruikersWeergave"] = Limit(e.ActorMunicipality is null ? $"{e.ActorName} ({e.ActorRole})" : $"{e.ActorName} ({e.ActorRole}, {e.ActorMunicipality})", 255),
        ["actie"] = Limit(e.Action, 50),
        ["actieWeergave"] = Limit(ActionNames.Dutch(e.Action), 200),
        ["resultaat"] = e.Status,
        ["hoofdObject"] = MainObjectUrl(e).ToString(),
        ["resource"] = Limit(e.Resource, 50),
        ["resourceUrl"] = ResourceUrl(e).ToString(),
        ["toelichting"] = e.Reason ?? "",
        ["resourceWeergave"] = Limit(e.ResourceName, 200),
        ["aanmaakdatum"] = Instant(e.RecordedAt),
        ["wijzigingen"] = new JsonObject
        {
            ["oud"] = e.Before is null ? null : JsonNode.Parse(e.Before),
            ["nieuw"] = e.After is null ? null : JsonNode.Parse(e.After),
        },
        ["keten"] = new JsonObject
        {
            ["keten"] = e.ChainId.ToString("D"),
            ["volgnummer"] = e.ChainSequence,
            ["vorigeHash"] = e.PreviousHash,
            ["hash"] = e.Hash,
            ["canoniekeVorm"] = AuditHash.CanonicalForm(e),
        },
    };

    private async Task<List<AuditEntry>> ReadAndRecordAsync(Guid processId, Actor actor, string format, CancellationToken cancellationToken)
    {
        var process = await db.Processes.AsNoTracking().Where(p => p.Id == processId).Select(p => new { p.Id, p.Reference }).FirstOrDefaultAsync(cancellationToken)
            ?? throw DomainException.NotFound("process-not-found", $"Process {processId} does not exist.");
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.ChainId == processId).OrderBy(e => e.ChainSequence).ToListAsync(cancellationToken);

        await trail.InTransactionAsync(() => trail.AppendAsync(actor, new AuditRecord(processId, "audit.exported", "auditTrail", processId.ToString(), process.Reference, processId,
            After: new JsonObject { ["format"] = format, ["entries"] = entries.Count, ["lastSequence"] = entries.LastOrDefault()?.ChainSequence ?? 0 }), cancellationToken), cancellationToken);
        return entries;
    }

    private Uri MainObjectUrl(AuditEntry e) => e.ProcessId is { } p ? new Uri(options.PublicBaseUrl, $"api/processes/{p}") : ResourceUrl(e);

    private Uri ResourceUrl(AuditEntry e) => new(options.PublicBaseUrl, e.Resource switch
    {
        "agendaItem" or "decision" when e.ProcessId is { } p => $"api/processes/{p}/items/{e.MunicipalityCode}",
        "conceptVersion" when e.ProcessId is { } p => $"api/processes/{p}/concepts",
        "auditTrail" when e.ProcessId is { } p => $"api/processes/{p}/audit",
        "meeting" => $"api/municipalities/{e.MunicipalityCode}/meetings/{e.ResourceId}",
        "workflowDefinition" => $"api/workflows/{e.ResourceId.Split('@')[0]}/versions/{e.ResourceId.Split('@')[^1]}",
        _ when e.ProcessId is { } p => $"api/processes/{p}",
        _ => $"api/audit/{e.Uuid}",
    });

    private static string Instant(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static string Limit(string value, int length) => value.Length <= length ? value : value[..length];

    /// <summary>
    /// One CSV cell (RFC 4180 quoting). A text that starts with =, +, -, @, a tab or a carriage return would be run as a
    /// formula by a spreadsheet (CSV injection, OWASP): it gets a leading apostrophe, which spreadsheets show as text.
    /// </summary>
    public static string CsvCell(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n', ';']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}

/// <summary>Dutch names of the audited actions, for actieWeergave and the UI.</summary>
public static class ActionNames
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["process.started"] = "Proces gestart",
        ["concept.revised"] = "Concept herzien",
        ["item.scheduled"] = "Geagendeerd",
        ["item.rescheduled"] = "Opnieuw geagendeerd",
        ["item.state-changed"] = "Status agendapunt gewijzigd",
        ["decision.recorded"] = "Besluit vastgelegd",
        ["item.deferred"] = "Aangehouden",
        ["deadline.extended"] = "Termijn verlengd",
        ["publication.planned"] = "Publicatie gepland",
        ["process.published"] = "Gepubliceerd",
        ["process.cancelled"] = "Proces geannuleerd",
        ["process.escalated"] = "Termijn verstreken, geëscaleerd",
        ["process.state-changed"] = "Status proces gewijzigd",
        ["meeting.added"] = "Vergadering toegevoegd",
        ["meeting.moved"] = "Vergadering verplaatst",
        ["meeting.cancelled"] = "Vergadering geannuleerd",
        ["workflow-definition.loaded"] = "Workflowdefinitie geladen",
        ["audit.exported"] = "Audittrail geëxporteerd",
        ["reminder.sent"] = "Herinnering verstuurd",
        ["escalation.sent"] = "Escalatie verstuurd",
        ["risk.alerted"] = "Risicosignaal verstuurd",
        ["publication.sent"] = "Vrijgave gemeld",
        ["message.delivered"] = "Bericht afgeleverd",
        ["message.failed"] = "Bericht niet afgeleverd",
        ["timer.trigger-refused"] = "Timer geweigerd door de workflow",
        ["timer.parked"] = "Termijnbewaking stilgezet na herhaalde fouten",
        ["timer.retried"] = "Termijnbewaking opnieuw ingepland",
        ["message.retried"] = "Bericht opnieuw verzonden",
        ["alert.sent"] = "Storingsmelding verstuurd",
        ["signal.sent"] = "Signalering aan de coördinator verstuurd",
        ["target-week.planned"] = "Synchrone week vastgesteld",
        ["council.informed"] = "Raad geïnformeerd (raadsinformatiebrief aangeboden)",
        ["council.corrected"] = "Bevestiging raad gecorrigeerd",
        ["item.meeting-moved"] = "Vergadering van agendapunt verplaatst",
        ["region.added"] = "Regio toegevoegd",
        ["municipality.added"] = "Gemeente toegevoegd",
        ["user.created"] = "Gebruiker aangemaakt",
        ["token.created"] = "API-token aangemaakt",
        ["token.revoked"] = "API-token ingetrokken",
        ["webhook.registered"] = "Webhook geregistreerd",
        ["webhook.revoked"] = "Webhook ingetrokken",
    };

    public static string Dutch(string action) => Names.GetValueOrDefault(action, action);
}
