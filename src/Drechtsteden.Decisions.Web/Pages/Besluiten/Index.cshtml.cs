using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages.Besluiten;

/// <summary>The college's regional agenda items: what it can decide now, and what it decided.</summary>
public sealed class BesluitenModel(DecisionsDbContext db, DecisionWorkflow workflow, TimeProvider clock) : AppPageModel
{
    public sealed record Row(DecisionProcess Process, AgendaItem Item, bool MayDecide);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.College || Actor.MunicipalityCode is not { } code)
            return Forbid();
        var now = clock.GetUtcNow();
        var processes = await db.ProcessAggregates.AsNoTracking()
            .Where(p => p.State != "Cancelled" && p.Items.Any(i => i.MunicipalityCode == code))
            .OrderBy(p => p.DeadlineAt).Take(200).ToListAsync(cancellationToken);
        Rows = processes.Select(p => new Row(p, p.Item(code), workflow.PermittedTriggers(p, code, Actor, now).Contains("Decide"))).ToList();
        return Page();
    }
}
