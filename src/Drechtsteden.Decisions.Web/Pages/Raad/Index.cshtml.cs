using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages.Raad;

/// <summary>
/// The griffier's work: the published processes of their municipality, whose raadsinformatiebrief goes to the council,
/// and whether the council has it; the ones still under embargo are only counted.
/// </summary>
public sealed class RaadModel(DecisionsDbContext db, DecisionWorkflow workflow, WorkflowCatalog catalog, TimeProvider clock) : AppPageModel
{
    public sealed record Row(DecisionProcess Process, AgendaItem Item, bool MayConfirm);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    /// <summary>Processes of the municipality that are still running (their letter follows at publication).</summary>
    public int Running { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Griffier || Actor.MunicipalityCode is not { } code)
            return Forbid();
        var now = clock.GetUtcNow();
        var published = catalog.PublishedStates;
        var ended = catalog.EndedUnpublishedStates;
        var processes = await db.ProcessAggregates.AsNoTracking()
            .Where(p => published.Contains(p.State) && p.Items.Any(i => i.MunicipalityCode == code))
            .OrderByDescending(p => p.PublicationAt).Take(200).ToListAsync(cancellationToken);
        Rows = processes.Select(p => new Row(p, p.Item(code), workflow.PermittedCommands(p, code, Actor, now).Contains(WorkflowCommands.ConfirmCouncil)))
            .OrderByDescending(r => r.MayConfirm && r.Item.CouncilInformedOn is null).ToList();
        Running = await db.Processes.CountAsync(p => !published.Contains(p.State) && !ended.Contains(p.State) && p.Items.Any(i => i.MunicipalityCode == code), cancellationToken);
        return Page();
    }
}
