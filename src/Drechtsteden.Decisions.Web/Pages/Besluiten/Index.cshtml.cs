using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages.Besluiten;

/// <summary>The college's regional agenda items: what it can decide now (from the engine), and what it decided.</summary>
public sealed class BesluitenModel(DecisionsDbContext db, DecisionWorkflow workflow, WorkflowCatalog catalog, TimeProvider clock) : AppPageModel
{
    public sealed record Row(DecisionProcess Process, AgendaItem Item, bool MayDecide);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.College || Actor.MunicipalityCode is not { } code)
            return Forbid();
        Now = clock.GetUtcNow();
        // Ended without publication (cancelled, withdrawn, expired): nothing to decide or to read back here.
        var ended = catalog.EndedUnpublishedStates;
        var processes = await db.ProcessAggregates.AsNoTracking()
            .Where(p => !ended.Contains(p.State) && p.Items.Any(i => i.MunicipalityCode == code))
            .OrderBy(p => p.DeadlineAt).Take(200).ToListAsync(cancellationToken);
        Rows = processes.Select(p => new Row(p, p.Item(code), workflow.PermittedCommands(p, code, Actor, Now).Contains(WorkflowCommands.Decide))).ToList();
        return Page();
    }
}
