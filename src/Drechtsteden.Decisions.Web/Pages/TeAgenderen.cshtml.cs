using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// The secretary's work list: the own college's agenda items it may schedule now (from the engine), each with the
/// college's coming meetings before the deadline to choose from; those already on a meeting may be moved.
/// </summary>
public sealed class TeAgenderenModel(ProcessQueries processes, CommandPipeline pipeline, DecisionWorkflow workflow, WorkflowCatalog catalog, DecisionsDbContext db)
    : AppPageModel
{
    /// <param name="Others">The other colleges' planned meetings for this item (the embargo lets everyone see the agenda).</param>
    public sealed record Row(DecisionProcess Process, AgendaItem Item, IReadOnlyList<Meeting> Choices, IReadOnlyList<(string College, DateTimeOffset At)> Others)
    {
        /// <summary>The synchronous week, when the coordinator set one.</summary>
        public TargetWeek? Target => Process.SynchronizationWindowStart is { } start ? new TargetWeek(start) : null;

        /// <summary>The meeting offered first: the one the item is on, else the first in the synchronous week, else the first.</summary>
        public Guid? Suggested => Item.MeetingId ?? Choices.FirstOrDefault(m => Target is { } t && t.Contains(m.Date))?.Id ?? (Choices.Count > 0 ? Choices[0].Id : null);

        /// <summary>The college deferred the item: it must be scheduled again.</summary>
        public bool Deferred => Item.MeetingId is null && Item.LatestDecision?.Outcome == DecisionOutcome.Deferred;
    }

    public IReadOnlyList<Row> ToSchedule { get; private set; } = [];
    public IReadOnlyList<Row> Scheduled { get; private set; } = [];
    public string MunicipalityName { get; private set; } = "";

    [BindProperty] public Guid? Vergadering { get; set; }

    protected override IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string> { ["meetingId"] = nameof(Vergadering) };

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Secretary || Actor.MunicipalityCode is null)
            return Forbid();
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid proces, CancellationToken cancellationToken)
    {
        var code = Actor.MunicipalityCode ?? "";
        var request = new ScheduleItem(Vergadering) { Municipality = code };
        var meeting = Vergadering is { } meetingId ? await db.Meetings.AsNoTracking().FirstOrDefaultAsync(m => m.Id == meetingId, cancellationToken) : null;
        var process = await db.Processes.AsNoTracking().Where(p => p.Id == proces).Select(p => new { p.Title, p.SynchronizationWindowStart }).FirstOrDefaultAsync(cancellationToken);
        var notice = meeting is null ? "Het agendapunt is geagendeerd."
            : $"‘{process?.Title}’ is geagendeerd op {UiText.Date(meeting.StartsAt)}, {UiText.Time(meeting.StartsAt)}."
              + (process?.SynchronizationWindowStart is { } start && !new TargetWeek(start).Contains(meeting.Date)
                  ? $" Let op: dat is buiten de synchrone week ({UiText.Week(new TargetWeek(start))}); de coördinator krijgt daarvan bericht." : "");
        return await CommandAsync(() => pipeline.RunAsync(proces, request, Actor, Key(request.Command, new { id = proces, code, request }), null, cancellationToken),
            notice, () => Redirect("/te-agenderen"),
            async () => { await LoadAsync(cancellationToken); return Page(); });
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var code = Actor.MunicipalityCode!;
        MunicipalityName = await db.Municipalities.Where(m => m.Code == code).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken) ?? code;
        var closed = catalog.ProcessStates(s => s.Final);
        var open = await db.ProcessAggregates.AsNoTracking()
            .Where(p => !closed.Contains(p.State) && p.Items.Any(i => i.MunicipalityCode == code))
            .OrderBy(p => p.DeadlineAt).Take(200).ToListAsync(cancellationToken);
        var names = await db.Municipalities.AsNoTracking().ToDictionaryAsync(m => m.Code, m => m.Name, cancellationToken);
        var toSchedule = new List<Row>();
        var scheduled = new List<Row>();
        foreach (var process in open)
        {
            var item = process.Item(code);
            if (!workflow.PermittedCommands(process, code, Actor, processes.Now).Contains(WorkflowCommands.Schedule))
                continue;
            var others = process.Items.Where(i => i.MunicipalityCode != code && i.MeetingStartsAt is not null)
                .Select(i => (names.GetValueOrDefault(i.MunicipalityCode, i.MunicipalityCode), i.MeetingStartsAt!.Value)).OrderBy(o => o.Item2).ToList();
            var row = new Row(process, item, await processes.SchedulableMeetingsAsync(process, code, cancellationToken), others);
            (item.MeetingId is null ? toSchedule : scheduled).Add(row);
        }
        ToSchedule = toSchedule;
        Scheduled = scheduled;
    }
}
