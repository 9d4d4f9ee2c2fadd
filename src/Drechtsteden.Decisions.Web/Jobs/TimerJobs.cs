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
            var atRisk = await RiskCandidatesAsync(definition, now, processId);
            foreach (var risk in atRisk)
                await IsolatedAsync($"risk alert for item {risk.ItemId}", () => pipeline.AlertRiskAsync(risk.ProcessId, risk.ItemId));
        }
    }

    /// <summary>An item a risk alert is due for (<see cref="RiskCandidatesAsync"/>).</summary>
    public sealed record RiskCandidate(Guid ProcessId, Guid ItemId);

    /// <summary>
    /// The items of the definition's processes that <see cref="ProcessRisks.HasNoMeetingLeft"/> holds for and that were not
    /// alerted yet, soonest deadline first (at most 1,000 a sweep). Each college's next planned meeting is looked up once
    /// (one index probe per college): a college has no meeting left before a deadline exactly when its next meeting is not
    /// before it. So only two kinds of items can be at risk — those of a college without any planned meeting, and those of
    /// processes whose deadline comes no later than the latest of the colleges' next meetings — and only those are read.
    /// Asking every open item whether its college has a meeting before its own deadline read 222,000 items and probed the
    /// meetings for each, every minute (0.66 s of PostgreSQL's CPU at 10,000 processes; README, issue 19).
    /// </summary>
    public async Task<List<RiskCandidate>> RiskCandidatesAsync(Drechtsteden.Decisions.Workflows.WorkflowDefinition definition, DateTimeOffset now, Guid? processId = null)
    {
        var schedulable = ProcessRisks.SchedulableStates(definition).ToArray();
        if (schedulable.Length == 0)
            return [];
        var open = definition.Process.States.Where(s => !s.Final).Select(s => s.Name).ToArray();
        return await db.Database.SqlQuery<RiskCandidate>($"""
            WITH next AS MATERIALIZED (
                SELECT mu.code, (SELECT min(m.starts_at) FROM meetings AS m
                                 WHERE m.municipality_code = mu.code AND m.status = 'Planned' AND m.starts_at > {now}) AS next_at
                FROM municipalities AS mu),
            candidates AS (
                SELECT p.id AS process_id, a.id AS item_id, p.deadline_at
                FROM next AS n
                JOIN agenda_items AS a ON a.municipality_code = n.code
                JOIN processes AS p ON p.id = a.process_id
                WHERE n.next_at IS NULL
                  AND a.state = ANY ({schedulable}) AND a.meeting_id IS NULL
                  AND p.definition_id = {definition.DefinitionId} AND p.definition_version = {definition.Version}
                  AND p.state = ANY ({open}) AND p.deadline_at > {now} AND ({processId}::uuid IS NULL OR p.id = {processId})
                UNION ALL
                SELECT p.id, a.id, p.deadline_at
                FROM processes AS p
                JOIN agenda_items AS a ON a.process_id = p.id
                JOIN next AS n ON n.code = a.municipality_code
                WHERE p.deadline_at > {now} AND p.deadline_at <= (SELECT max(next_at) FROM next)
                  AND n.next_at >= p.deadline_at
                  AND a.state = ANY ({schedulable}) AND a.meeting_id IS NULL
                  AND p.definition_id = {definition.DefinitionId} AND p.definition_version = {definition.Version}
                  AND p.state = ANY ({open}) AND ({processId}::uuid IS NULL OR p.id = {processId}))
            SELECT c.process_id, c.item_id
            FROM candidates AS c
            WHERE NOT EXISTS (SELECT 1 FROM risk_alerts AS r WHERE r.item_id = c.item_id)
            ORDER BY c.deadline_at, c.item_id
            LIMIT 1000
            """).ToListAsync();
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
