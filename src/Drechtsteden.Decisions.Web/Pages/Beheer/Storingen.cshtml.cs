using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages.Beheer;

/// <summary>
/// What the system set aside after failing on it again and again (dead letters): parked timers and messages that could
/// not be delivered, with their last error, for an administrator to look at and send back (audited).
/// </summary>
public sealed class StoringenModel(DecisionsDbContext db, CommandPipeline pipeline, AuditTrail audit, TimeProvider clock) : AppPageModel
{
    public sealed record TimerRow(long Id, Guid ProcessId, string Title, string Reference, string TimerId, string? Municipality, DateTimeOffset DueAt, int Attempts, string? LastError);

    public IReadOnlyList<TimerRow> Timers { get; private set; } = [];

    public IReadOnlyList<OutboxMessage> Messages { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Admin)
            return Forbid();
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostTimerAsync(long id, CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Admin)
            return Forbid();
        Notice = await pipeline.RetryTimerAsync(id, Actor, cancellationToken)
            ? "De termijnbewaking is opnieuw ingepland en wordt zo snel mogelijk uitgevoerd."
            : "Deze termijnbewaking stond niet (meer) stil.";
        return Redirect("/beheer/storingen");
    }

    public async Task<IActionResult> OnPostMessageAsync(long id, CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Admin)
            return Forbid();
        Notice = await OutboxDispatcher.RetryAsync(db, audit, id, Actor, clock, cancellationToken)
            ? "Het bericht wordt opnieuw verzonden."
            : "Dit bericht stond niet (meer) stil.";
        return Redirect("/beheer/storingen");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Timers = await (from t in db.Timers.AsNoTracking()
                        join p in db.Processes.AsNoTracking() on t.ProcessId equals p.Id
                        where t.Status == TimerStatus.Parked
                        orderby t.DueAt
                        select new TimerRow(t.Id, p.Id, p.Title, p.Reference, t.TimerId, t.MunicipalityCode, t.DueAt, t.Attempts, t.LastError))
            .Take(500).ToListAsync(cancellationToken);
        Messages = await db.Outbox.AsNoTracking().Where(m => m.Status == OutboxStatus.Failed)
            .OrderByDescending(m => m.Id).Take(500).ToListAsync(cancellationToken);
    }
}
