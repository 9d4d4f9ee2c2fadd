using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>
/// The process page: the synchronization matrix, the timeline of the colleges' meetings against the deadline, the word
/// diffs, the concept versions, the audit trail with its verification and the workflow diagrams — all in one live
/// region that the browser polls (htmx, every 2 s; unchanged → 204, nothing swapped) — and the coordinator's
/// commands (revise the concept, extend the deadline, release for publication, cancel).
/// </summary>
public sealed partial class DetailsModel(ProcessQueries processes, CommandPipeline pipeline, DecisionWorkflow workflow, AuditVerifier verifier) : AppPageModel
{
    public ProcessDto Process { get; private set; } = null!;
    public WorkflowDefinition Definition { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> Names { get; private set; } = new Dictionary<string, string>();
    public IReadOnlyList<Meeting> Meetings { get; private set; } = [];
    /// <summary>How many entries the process's audit trail has (all verified; <see cref="AuditShown"/> lists the newest).</summary>
    public int AuditCount { get; private set; }
    public AuditVerification? Verification { get; private set; }
    public string Stamp { get; private set; } = "";
    public DateTimeOffset Now { get; private set; }

    public bool ReadsAudit => Actor.Role is Role.Coordinator or Role.Auditor or Role.Admin;

    /// <summary>
    /// How many of the trail's entries the page lists unless asked for all (?handelingen=alle): the newest. The
    /// verification always walks the whole chain; the list is for reading, and a trail of hundreds of rows (a process that
    /// ran for months) made every view — and every live refresh — render them all. The exports have every entry.
    /// </summary>
    public const int AuditListed = 50;

    [BindProperty(SupportsGet = true, Name = "handelingen")]
    public string? Handelingen { get; set; }

    public bool AllAudit => Handelingen == "alle";

    /// <summary>The entries the page lists, newest first: all, or the newest <see cref="AuditListed"/>.</summary>
    public IReadOnlyList<AuditEntry> AuditShown { get; private set; } = [];

    /// <summary>Whether the reader may give this command (<see cref="WorkflowCommands"/>) on the process now.</summary>
    public bool May(string command) => Process.PermittedCommands.Contains(command);

    protected override IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string>
    {
        ["councilLetter"] = nameof(ConceptBrief), ["text"] = nameof(ConceptTekst), ["note"] = nameof(ConceptToelichting), ["date"] = nameof(NieuweTermijn), ["reason"] = nameof(Reden), ["week"] = nameof(Week),
    };

    // The coordinator's forms (kept when a command is refused).
    [BindProperty] public string? ConceptTekst { get; set; }

    /// <summary>The raadsinformatiebrief with the new version (prefilled with the current one; unchanged or empty keeps it).</summary>
    [BindProperty] public string? ConceptBrief { get; set; }
    [BindProperty] public string? ConceptToelichting { get; set; }
    [BindProperty] public DateOnly? NieuweTermijn { get; set; }
    [BindProperty] public string? Reden { get; set; }
    [BindProperty] public DateTime? PublicerenOp { get; set; }
    [BindProperty] public uint? Versie { get; set; }
    [BindProperty] public DateOnly? Week { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    /// <summary>The live region again, or 204 when nothing changed since <paramref name="stamp"/>.</summary>
    public async Task<IActionResult> OnGetLiveAsync(Guid id, string? stamp, CancellationToken cancellationToken)
    {
        // The live region never shows a command's notice: a poll that arrives between a command's redirect and the page
        // it leads to must leave the notice for that page (TempData is read once).
        TempData.Keep();
        if (!await LoadAsync(id, cancellationToken))
            return NotFound();
        if (stamp == Stamp)
            return new NoContentResult();
        return Partial("_ProcessLiveUpdate", this);
    }

    /// <summary>The synchronization matrix as a file for Dutch Excel: CSV (semicolon, BOM) or .xlsx; the embargo applies as on the page.</summary>
    public async Task<IActionResult> OnGetMatrixAsync(Guid id, string? format, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
            return NotFound();
        var rows = MatrixExport.Rows(Process, Definition, Names).ToList();
        var name = $"synchronisatie-{new string(Process.Reference.Select(c => char.IsLetterOrDigit(c) || c == '-' ? c : '_').ToArray())}";
        return format switch
        {
            "xlsx" => File(MatrixExport.Xlsx($"{Process.Title} ({Process.Reference}), stand {UiText.DateTime(Now)}", rows, MatrixExport.Columns),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx"),
            _ => File(MatrixExport.Csv(rows, MatrixExport.Columns), "text/csv; charset=utf-8", name + ".csv"),
        };
    }

    public Task<IActionResult> OnPostReviseAsync(Guid id, CancellationToken cancellationToken) =>
        RunAsync(id, new ReviseConcept(ConceptTekst, null, ConceptToelichting, ConceptBrief),
            "Er is een nieuwe conceptversie vastgelegd; colleges die op een oudere versie besloten, besluiten opnieuw.", cancellationToken);

    public Task<IActionResult> OnPostExtendAsync(Guid id, CancellationToken cancellationToken) =>
        RunAsync(id, new ExtendDeadline(NieuweTermijn, null, Reden), "De termijn is verlengd.", cancellationToken);

    public Task<IActionResult> OnPostPublishAsync(Guid id, CancellationToken cancellationToken)
    {
        var request = new Publish(PublicerenOp is { } local ? Amsterdam.At(DateOnly.FromDateTime(local), TimeOnly.FromDateTime(local)) : null);
        return RunAsync(id, request, request.At is null ? "Het besluit is vrijgegeven voor publicatie." : "De publicatie is gepland.", cancellationToken);
    }

    public Task<IActionResult> OnPostTargetWeekAsync(Guid id, CancellationToken cancellationToken) =>
        RunAsync(id, new PlanTargetWeek(Week), Week is { } day ? $"De synchrone week is vastgesteld: {UiText.Week(TargetWeek.Containing(day))}." : "", cancellationToken);

    public Task<IActionResult> OnPostCancelAsync(Guid id, CancellationToken cancellationToken) =>
        RunAsync(id, new CancelProcess(Reden), "Het proces is geannuleerd.", cancellationToken);

    /// <summary>The action whose form is shown open: the one just refused, so its error and input are in view.</summary>
    public string? OpenAction { get; private set; }

    private Task<IActionResult> RunAsync(Guid id, ProcessCommand command, string notice, CancellationToken cancellationToken)
    {
        OpenAction = command.Command;
        return CommandAsync(() => pipeline.RunAsync(id, command, Actor, Key(command.Command, new { id, command = (object)command }), Versie, cancellationToken),
            notice, () => Redirect($"/processen/{id}"), async () => await LoadAsync(id, cancellationToken) ? Page() : NotFound());
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        Now = processes.Now;
        // One round trip, one snapshot (ProcessQueries.ReadWithMeetingsAsync): the process, the timeline's meetings and
        // the DTO's planned ones, the colleges' names, the audit chain (read whole and verified, as UTF-8 bytes; only the
        // entries listed are decoded into strings) or, for whom does not read the trail, its length, and the menu's count.
        var names = new NamesRead(id);
        var chain = ReadsAudit ? verifier.ChainSnapshot(id, AllAudit ? null : AuditListed) : null;
        var auditLength = ReadsAudit ? null : new CountRead("SELECT count(*) FROM audit_entries WHERE chain_id = $1", id);
        var unread = MenuCounts.Read(HttpContext, Actor.UserId);
        if (await processes.ReadWithMeetingsAsync(id, Actor, RegionCode, Now,
                p => TimelineRange(p.Items.Where(i => i.MeetingId is not null).Select(i => i.MeetingStartsAt!.Value), p.DeadlineAt, Now),
                [names, (SnapshotRead?)chain ?? auditLength!, unread], cancellationToken) is not { } read)
            return false;
        var (dto, aggregate, meetings) = read;
        Process = dto;
        Definition = workflow.DefinitionOf(aggregate);
        Names = names.Names;
        Meetings = meetings;
        if (chain?.Result is { } trail)
        {
            Verification = trail.Verification;
            AuditCount = (int)trail.Verification.EntriesChecked;
            AuditShown = trail.NewestFirst;
        }
        // Part of the live stamp: a new audit entry means something happened, even where the DTO shows no change.
        var auditCount = ReadsAudit ? AuditCount : (int)auditLength!.Value;
        Stamp = StampOf(dto, auditCount, Meetings.Count);
        Versie ??= dto.Version;
        ConceptTekst ??= dto.Concepts[^1].Text;
        ConceptBrief ??= dto.Concepts[^1].CouncilLetter;
        return true;
    }

    /// <summary>The names of the process's colleges.</summary>
    private sealed class NamesRead(Guid id) : SnapshotRead
    {
        public Dictionary<string, string> Names { get; } = [];

        public override void Add(NpgsqlBatch batch) => batch.BatchCommands.Add(WriteBatch.Command(
            "SELECT code, name FROM municipalities WHERE code IN (SELECT municipality_code FROM agenda_items WHERE process_id = $1)", id));

        public override async Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            while (await reader.ReadAsync(cancellationToken))
                Names[reader.GetString(0)] = reader.GetString(1);
            await reader.NextResultAsync(cancellationToken);
        }
    }

    /// <summary>
    /// What the live region shows, as a short hash: the DTO (without the days left, which change at midnight only with
    /// the rest) as the generated JSON writes it (ApiJson; no reflection per view), the audit entries and the meetings.
    /// </summary>
    private static string StampOf(ProcessDto dto, int auditCount, int meetings)
    {
        var json = new ArrayBufferWriter<byte>(8192);
        ApiJson.Write(json, dto with { DaysLeft = 0 }, ApiJson.Default.ProcessDto, encoder: null);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(json.WrittenSpan);
        Span<int> counts = [auditCount, meetings];
        hash.AppendData(MemoryMarshal.AsBytes(counts));
        return Convert.ToHexString(hash.GetHashAndReset())[..20];
    }

    /// <summary>From a little before the first relevant meeting (or today) to a little after the deadline.</summary>
    public (DateTimeOffset From, DateTimeOffset Until) TimelineRange() =>
        TimelineRange(Process.Items.Where(i => i.Meeting is not null).Select(i => i.Meeting!.StartsAt), Process.Deadline, Now);

    private static (DateTimeOffset From, DateTimeOffset Until) TimelineRange(IEnumerable<DateTimeOffset> meetingStarts, DateTimeOffset deadline, DateTimeOffset now)
    {
        var starts = meetingStarts.Append(now).Append(deadline.AddDays(-42));
        var from = Amsterdam.StartOfDay(Amsterdam.DateOf(starts.Min()).AddDays(-3));
        var until = Amsterdam.StartOfDay(Amsterdam.DateOf(deadline > now ? deadline : now).AddDays(4));
        return (from, until);
    }

    public string ItemState(string state) => UiText.State(Definition, MachineKind.Item, state);

    public string ProcessState(string state) => UiText.State(Definition, MachineKind.Process, state);

    public string NameOf(string code) => Names.GetValueOrDefault(code, code);

    /// <summary>
    /// The trail's explanation in Dutch: a state change the engine wrote as "Running → Diverged ((automatic 10))" reads
    /// as "Loopt → Afwijkend (automatisch)"; what a person wrote (a reason) stays as written.
    /// </summary>
    public string? TrailText(AuditEntry entry)
    {
        if (entry.Action is not ("item.state-changed" or "process.state-changed") || entry.Reason is null
            || StateChangePattern().Match(entry.Reason) is not { Success: true } m)
            return entry.Reason;
        var kind = entry.Action.StartsWith("item", StringComparison.Ordinal) ? MachineKind.Item : MachineKind.Process;
        return WorkflowText.StateChange(Definition, kind, m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\S+) → (\S+) \((.*)\)$")]
    private static partial System.Text.RegularExpressions.Regex StateChangePattern();
}
