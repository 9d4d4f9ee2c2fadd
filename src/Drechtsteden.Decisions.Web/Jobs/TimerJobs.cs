using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Jobs;

/// <summary>
/// The Hangfire jobs. They take ids, re-read the database and are safe to run twice; Hangfire only wakes them up.
/// </summary>
public sealed class TimerJobs(ProcessCommands commands, TimerScheduler timers, DecisionsDbContext db, WorkflowCatalog catalog, TimeProvider clock, ILogger<TimerJobs> logger)
{
    public const string SweeperJobId = "timer-sweeper";

    /// <summary>Wakes one timer at (or after) the instant it was scheduled for.</summary>
    [AutomaticRetry(Attempts = 5)]
    public Task FireAsync(long timerId, DateTimeOffset scheduledFor) => commands.FireTimerAsync(timerId, scheduledFor, "hangfire");

    /// <summary>
    /// Every minute: fires every scheduled timer that is due (its wake-up was lost, or the host was down at the
    /// time), books the wake-ups of timers that came within the horizon, and sends the risk alerts for colleges without a meeting before the deadline.
    /// </summary>
    [DisableConcurrentExecution(timeoutInSeconds: 120)]
    [AutomaticRetry(Attempts = 0)]
    public async Task SweepAsync()
    {
        var now = clock.GetUtcNow();
        var due = await db.Timers.AsNoTracking().Where(t => t.Status == TimerStatus.Scheduled && t.DueAt <= now)
            .OrderBy(t => t.DueAt).Select(t => t.Id).Take(1000).ToListAsync();
        var fired = 0;
        foreach (var id in due)
        {
            if (await commands.FireTimerAsync(id, null, "sweeper"))
                fired++;
        }
        if (fired > 0)
            logger.LogInformation("Sweeper fired {Count} due timers whose wake-up was missed", fired);
        await timers.BookWakeUpsAsync(CancellationToken.None);
        await AlertRisksAsync(now);
    }

    /// <summary>
    /// Tells the coordinators, once per item, about every college that still has to schedule an item and has no meeting
    /// left before the deadline (of one process, or of all).
    /// </summary>
    public async Task AlertRisksAsync(DateTimeOffset now, Guid? processId = null)
    {
        if (!catalog.IsLoaded)
            return;
        foreach (var definition in catalog.All)
        {
            var schedulable = definition.Item.Transitions.Where(t => t.Trigger == "Schedule").SelectMany(t => t.From).Distinct().ToList();
            var open = definition.Process.States.Where(s => !s.Final).Select(s => s.Name).ToList();
            var atRisk = await (
                from item in db.AgendaItems
                join process in db.Processes on item.ProcessId equals process.Id
                where process.DefinitionId == definition.DefinitionId && process.DefinitionVersion == definition.Version
                      && (processId == null || process.Id == processId)
                      && open.Contains(process.State) && process.DeadlineAt > now
                      && schedulable.Contains(item.State) && item.MeetingId == null
                      && !db.Meetings.Any(m => m.MunicipalityCode == item.MunicipalityCode && m.Status == MeetingStatus.Planned && m.StartsAt > now && m.StartsAt < process.DeadlineAt)
                      && !db.Set<RiskAlert>().Any(r => r.ItemId == item.Id)
                select new { ProcessId = process.Id, ItemId = item.Id }).Take(1000).ToListAsync();
            foreach (var risk in atRisk)
                await commands.AlertRiskAsync(risk.ProcessId, risk.ItemId);
        }
    }
}
