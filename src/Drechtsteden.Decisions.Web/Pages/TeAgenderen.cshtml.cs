using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>The secretary's work list: the own college's agenda items, each with the college's coming meetings before the deadline to choose from.</summary>
public sealed class TeAgenderenModel(ProcessService processes, DecisionsDbContext db) : AppPageModel
{
    public sealed record Row(DecisionProcess Process, AgendaItem Item, IReadOnlyList<Meeting> Choices);

    public IReadOnlyList<Row> ToSchedule { get; private set; } = [];
    public IReadOnlyList<Row> Scheduled { get; private set; } = [];
    public string MunicipalityName { get; private set; } = "";

    [BindProperty] public Guid? Vergadering { get; set; }

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
        var request = new ScheduleRequest(Vergadering);
        return await CommandAsync(() => processes.ScheduleAsync(proces, code, request, Actor, Key("schedule", new { id = proces, code, request }), null, cancellationToken),
            "Het agendapunt is geagendeerd.", () => Redirect("/te-agenderen"),
            async () => { await LoadAsync(cancellationToken); return Page(); });
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var code = Actor.MunicipalityCode!;
        MunicipalityName = await db.Municipalities.Where(m => m.Code == code).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken) ?? code;
        var open = await db.ProcessAggregates.AsNoTracking()
            .Where(p => p.State != "Published" && p.State != "Cancelled" && p.Items.Any(i => i.MunicipalityCode == code))
            .OrderBy(p => p.DeadlineAt).Take(200).ToListAsync(cancellationToken);
        var toSchedule = new List<Row>();
        var scheduled = new List<Row>();
        foreach (var process in open)
        {
            var item = process.Item(code);
            if (item.State is "Unscheduled" or "Deferred")
                toSchedule.Add(new Row(process, item, await processes.SchedulableMeetingsAsync(process, code, cancellationToken)));
            else if (item.State == "Scheduled")
                scheduled.Add(new Row(process, item, await processes.SchedulableMeetingsAsync(process, code, cancellationToken)));
        }
        ToSchedule = toSchedule;
        Scheduled = scheduled;
    }
}
