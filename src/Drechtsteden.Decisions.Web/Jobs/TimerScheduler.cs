using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Workflows;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Jobs;

/// <summary>What a transaction changed about timers, to be told to Hangfire once it has committed.</summary>
public sealed class TimerChanges
{
    public List<ProcessTimer> ToSchedule { get; } = [];

    public List<string> JobsToDelete { get; } = [];

    public bool IsEmpty => ToSchedule.Count == 0 && JobsToDelete.Count == 0;
}

/// <summary>
/// Keeps a process's timer rows in step with its definition's timer plan, inside the command's transaction, touching
/// only that process's rows; after the commit it schedules or deletes only those rows' Hangfire jobs.
/// </summary>
public sealed class TimerScheduler(DecisionsDbContext db, IBackgroundJobClient jobs, TimeProvider clock, ILogger<TimerScheduler> logger)
{
    /// <summary>
    /// Only timers due within this horizon get a Hangfire wake-up when they are planned; the sweeper (every minute)
    /// books the wake-ups of the others as they come within it. A reminder weeks ahead therefore costs no Hangfire job
    /// until shortly before it is due, and moving it (a rescheduled meeting, an extended deadline) costs nothing.
    /// </summary>
    public static readonly TimeSpan WakeUpHorizon = TimeSpan.FromMinutes(5);

    /// <summary>Marks a wake-up being booked (a crash in between leaves it to the sweeper, which fires every due timer).</summary>
    private const string BookingClaim = "booking";

    public async Task<TimerChanges> SyncAsync(DecisionProcess process, WorkflowDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changes = new TimerChanges();
        var plan = TimerPlan.For(definition, process).ToDictionary(t => t.Key, StringComparer.Ordinal);
        var rows = new List<ProcessTimer>();
        await foreach (var row in TimersOf(db, process.Id).WithCancellation(cancellationToken))
            rows.Add(row);
        foreach (var row in rows.Where(r => r.Status != TimerStatus.Fired))
        {
            if (plan.TryGetValue(row.InstanceKey, out var instance))
            {
                var due = AuditHash.ToMicroseconds(instance.DueAt);
                var revived = row.Status == TimerStatus.Cancelled;
                if ((revived || row.DueAt != due) && !(revived && IsMissedReminder(instance, now)))
                {
                    Unschedule(row, changes);
                    row.DueAt = due;
                    row.Status = TimerStatus.Scheduled;
                    changes.ToSchedule.Add(row);
                }
            }
            else if (row.Status == TimerStatus.Scheduled)
            {
                Unschedule(row, changes);
                row.Status = TimerStatus.Cancelled;
            }
        }
        var known = rows.Select(r => r.InstanceKey).ToHashSet(StringComparer.Ordinal);
        foreach (var instance in plan.Values.Where(i => !known.Contains(i.Key) && !IsMissedReminder(i, now)))
        {
            var row = new ProcessTimer
            {
                ProcessId = process.Id,
                MunicipalityCode = instance.MunicipalityCode,
                TimerId = instance.TimerId,
                InstanceKey = instance.Key,
                OffsetDays = instance.OffsetDays,
                DueAt = AuditHash.ToMicroseconds(instance.DueAt),
                Status = TimerStatus.Scheduled,
                CreatedAt = now,
            };
            db.Timers.Add(row);
            changes.ToSchedule.Add(row);
        }
        return changes;
    }

    private static readonly Func<DecisionsDbContext, Guid, IAsyncEnumerable<ProcessTimer>> TimersOf =
        EF.CompileAsyncQuery((DecisionsDbContext db, Guid processId) => db.Timers.Where(t => t.ProcessId == processId));

    /// <summary>After the commit: wake-ups for new and moved timers, old jobs removed. A lost wake-up is the sweeper's.</summary>
    public async Task ApplyAsync(TimerChanges changes, CancellationToken cancellationToken)
    {
        if (changes.IsEmpty)
            return;
        try
        {
            foreach (var jobId in changes.JobsToDelete)
                jobs.Delete(jobId);
            var horizon = clock.GetUtcNow() + WakeUpHorizon;
            foreach (var timer in changes.ToSchedule.Where(t => t.DueAt <= horizon))
            {
                // Claim the booking first (compare-and-set on the row): the command that planned the timer and a sweep
                // booking near timers may both get here; only one books a wake-up.
                var claimed = await db.Timers.Where(t => t.Id == timer.Id && t.Status == TimerStatus.Scheduled && t.HangfireJobId == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.HangfireJobId, BookingClaim), cancellationToken);
                if (claimed == 0)
                    continue;
                var jobId = jobs.Schedule<TimerJobs>(j => j.FireAsync(timer.Id, timer.DueAt), timer.DueAt);
                await db.Timers.Where(t => t.Id == timer.Id && t.HangfireJobId == BookingClaim)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.HangfireJobId, jobId), cancellationToken);
            }
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseUnavailable(e) || e is BackgroundJobClientException)
        {
            // The timers are committed; the sweeper fires any that are due without a wake-up.
            logger.LogWarning("Timer wake-ups not scheduled, the sweeper will fire them: {Reason}", e.Message);
        }
    }

    /// <summary>Books wake-ups for scheduled timers that came within the horizon without one (the sweeper calls this).</summary>
    public async Task<int> BookWakeUpsAsync(CancellationToken cancellationToken)
    {
        var horizon = clock.GetUtcNow() + WakeUpHorizon;
        var near = await db.Timers.Where(t => t.Status == TimerStatus.Scheduled && t.HangfireJobId == null && t.DueAt <= horizon)
            .OrderBy(t => t.DueAt).Take(5000).ToListAsync(cancellationToken);
        var changes = new TimerChanges();
        changes.ToSchedule.AddRange(near);
        await ApplyAsync(changes, cancellationToken);
        return near.Count;
    }

    /// <summary>A reminder whose moment passed before it applied (a process started late) is not sent after the fact.</summary>
    private static bool IsMissedReminder(TimerInstance instance, DateTimeOffset now) => instance.DueAt < now && instance.Definition.Trigger is null;

    private static void Unschedule(ProcessTimer row, TimerChanges changes)
    {
        if (row.HangfireJobId is { } jobId && jobId != BookingClaim)
            changes.JobsToDelete.Add(jobId);
        row.HangfireJobId = null;
    }
}
