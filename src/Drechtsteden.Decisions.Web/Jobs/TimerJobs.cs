using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Jobs;

/// <summary>
/// The Hangfire jobs. They take ids, re-read the database and are safe to run twice; Hangfire only wakes them up.
/// Each timer fires in a transaction of its own: one that fails is counted, retried later and eventually parked,
/// and never holds up another timer, the wake-up booking or the risk alerts.
/// </summary>
public sealed class TimerJobs(CommandPipeline pipeline, TimerStore timers, DecisionsDbContext db, WorkflowCatalog catalog, TimeProvider clock, ILogger<TimerJobs> logger)
{
    public const string SweeperJobId = "timer-sweeper";

    /// <summary>Wakes one timer at (or after) the instant it was scheduled for.</summary>
    [AutomaticRetry(Attempts = 5)]
    public async Task FireAsync(long timerId, DateTimeOffset scheduledFor)
    {
        // A database that is away is Hangfire's to retry; any other failure is the timer's own and is counted on it.
        if (await TryFireAsync(timerId, scheduledFor, "hangfire") is { } failure)
            throw failure;
    }

    /// <summary>
    /// Every minute: fires every scheduled timer that is due (its wake-up was lost, the host was down at the time, or
    /// its last attempt failed and its pause is over), books the wake-ups of timers that came within the horizon, and
    /// sends the risk alerts for colleges without a meeting before the deadline. A failure in one part never stops another.
    /// </summary>
    [DisableConcurrentExecution(timeoutInSeconds: 120)]
    [AutomaticRetry(Attempts = 0)]
    public async Task SweepAsync()
    {
        var now = clock.GetUtcNow();
        var due = await db.Timers.AsNoTracking()
            .Where(t => t.Status == TimerStatus.Scheduled && t.DueAt <= now && (t.NextAttemptAt == null || t.NextAttemptAt <= now))
            .OrderBy(t => t.DueAt).ThenBy(t => t.Id).Select(t => t.Id).Take(1000).ToListAsync();
        var fired = 0;
        foreach (var id in due)
        {
            if (await TryFireAsync(id, null, "sweeper") is { } unavailable)
            {
                logger.LogWarning("Sweep stopped, the database is not available: {Reason}", unavailable.Message);
                return;
            }
            fired++;
        }
        if (fired > 0)
            logger.LogInformation("Sweeper fired {Count} due timers whose wake-up was missed", fired);
        await IsolatedAsync("booking timer wake-ups", () => timers.BookWakeUpsAsync(CancellationToken.None));
        await IsolatedAsync("risk alerts", () => AlertRisksAsync(now));
    }

    /// <summary>
    /// Tells the coordinators, once per item, about every college that still has to schedule an item and has no meeting
    /// left before the deadline (of one process, or of all). Each alert is its own transaction.
    /// </summary>
    public async Task AlertRisksAsync(DateTimeOffset now, Guid? processId = null)
    {
        if (!catalog.IsLoaded)
            return;
        foreach (var definition in catalog.All)
        {
            var schedulable = ProcessRisks.SchedulableStates(definition);
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
                orderby process.DeadlineAt, item.Id
                select new { ProcessId = process.Id, ItemId = item.Id }).Take(1000).ToListAsync();
            foreach (var risk in atRisk)
                await IsolatedAsync($"risk alert for item {risk.ItemId}", () => pipeline.AlertRiskAsync(risk.ProcessId, risk.ItemId));
        }
    }

    /// <summary>Fires a timer; a failure of its own is recorded on it. Returns the exception only when the database is away.</summary>
    private async Task<Exception?> TryFireAsync(long timerId, DateTimeOffset? scheduledFor, string firedBy)
    {
        try
        {
            await pipeline.FireTimerAsync(timerId, scheduledFor, firedBy);
            return null;
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseUnavailable(e))
        {
            return e;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Timer {TimerId} failed to fire", timerId);
            try
            {
                if (await pipeline.TimerFailedAsync(timerId, e))
                    logger.LogError("Timer {TimerId} parked after {Attempts} failed attempts; the administrators were told", timerId, TimerStore.MaxAttempts);
            }
            catch (Exception recording) when (DatabaseExtensions.IsDatabaseUnavailable(recording))
            {
                return recording;
            }
            catch (Exception recording) when (recording is not OperationCanceledException)
            {
                logger.LogError(recording, "The failure of timer {TimerId} could not be recorded; the next sweep tries again", timerId);
            }
            return null;
        }
    }

    private async Task IsolatedAsync(string what, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Sweeper: {What} failed; the next sweep tries again", what);
        }
    }
}
