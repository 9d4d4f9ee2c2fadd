using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Jobs;

/// <summary>What a transaction changed about timers, to be told to Hangfire once it has committed.</summary>
public sealed class WakeUps
{
    public List<ProcessTimer> ToBook { get; } = [];

    public List<string> JobsToDelete { get; } = [];

    public bool IsEmpty => ToBook.Count == 0 && JobsToDelete.Count == 0;

    public void Add(WakeUps other)
    {
        ToBook.AddRange(other.ToBook);
        JobsToDelete.AddRange(other.JobsToDelete);
    }
}

/// <summary>
/// Stores what the domain says a process's timers must be (<see cref="TimerReconciliation"/>), inside the command's
/// transaction and touching only that process's rows, and wakes them: after the commit it books or deletes only those
/// rows' Hangfire jobs. It decides nothing about which timers exist.
/// </summary>
public sealed class TimerStore(DecisionsDbContext db, IBackgroundJobClient jobs, TimeProvider clock, ILogger<TimerStore> logger)
{
    /// <summary>
    /// Only timers due within this horizon get a Hangfire wake-up when they are planned; the sweeper (every minute)
    /// books the wake-ups of the others as they come within it. A reminder weeks ahead therefore costs no Hangfire job
    /// until shortly before it is due, and moving it (a rescheduled meeting, an extended deadline) costs nothing.
    /// </summary>
    public static readonly TimeSpan WakeUpHorizon = TimeSpan.FromMinutes(5);

    /// <summary>Failed attempts before a timer is parked for an administrator.</summary>
    public const int MaxAttempts = 5;

    public const int MaxErrorLength = 2000;

    /// <summary>Marks a wake-up being booked (a crash in between leaves it to the sweeper, which fires every due timer).</summary>
    private const string BookingClaim = "booking";

    /// <summary>
    /// Makes the process's stored timers what its state calls for; returns the wake-ups to book after the commit.
    /// <paramref name="stored"/> are its timer rows, tracked, when the caller read them with the process (a command does,
    /// in its first round trip); otherwise they are read here.
    /// </summary>
    public async Task<WakeUps> ReconcileAsync(DecisionProcess process, IReadOnlyList<ProcessTimer>? stored, IReadOnlyList<TimerInstance> desired, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var rows = stored?.ToList() ?? [];
        if (stored is null)
        {
            await foreach (var row in TimersOf(db, process.Id).WithCancellation(cancellationToken))
                rows.Add(row);
        }
        var changes = TimerReconciliation.Reconcile(desired, [.. rows.Select(r => r.Stored)], now);
        var wakeUps = new WakeUps();
        foreach (var row in rows.Where(r => changes.Cancel.Contains(r.Id)))
        {
            row.Status = TimerStatus.Cancelled;
            if (row.HangfireJobId is { } jobId && jobId != BookingClaim)
                wakeUps.JobsToDelete.Add(jobId);
            row.HangfireJobId = null;
        }
        foreach (var instance in changes.Create)
        {
            var row = new ProcessTimer
            {
                ProcessId = process.Id,
                MunicipalityCode = instance.MunicipalityCode,
                TimerId = instance.TimerId,
                InstanceKey = instance.Key,
                OffsetDays = instance.OffsetDays,
                DueAt = Time.Instants.ToMicroseconds(instance.DueAt),
                Status = TimerStatus.Scheduled,
                CreatedAt = now,
            };
            db.Timers.Add(row);
            wakeUps.ToBook.Add(row);
        }
        return wakeUps;
    }

    private static readonly Func<DecisionsDbContext, Guid, IAsyncEnumerable<ProcessTimer>> TimersOf =
        EF.CompileAsyncQuery((DecisionsDbContext db, Guid processId) => db.Timers.Where(t => t.ProcessId == processId));

    /// <summary>After the commit: wake-ups for new timers due within the horizon, old jobs removed. A lost wake-up is the sweeper's.</summary>
    public async Task ApplyAsync(WakeUps wakeUps, CancellationToken cancellationToken)
    {
        if (wakeUps.IsEmpty)
            return;
        try
        {
            foreach (var jobId in wakeUps.JobsToDelete)
                jobs.Delete(jobId);
            var horizon = clock.GetUtcNow() + WakeUpHorizon;
            foreach (var timer in wakeUps.ToBook.Where(t => t.DueAt <= horizon))
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
        catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e) || e is BackgroundJobClientException)
        {
            // The timers are committed; the sweeper fires any that are due without a wake-up.
            logger.LogWarning("Timer wake-ups not scheduled, the sweeper will fire them: {Reason}", e.Message);
        }
    }

    /// <summary>Books wake-ups for scheduled timers that came within the horizon without one (the sweeper calls this).</summary>
    public async Task<int> BookWakeUpsAsync(CancellationToken cancellationToken)
    {
        var horizon = clock.GetUtcNow() + WakeUpHorizon;
        var near = await db.Timers.AsNoTracking().Where(t => t.Status == TimerStatus.Scheduled && t.HangfireJobId == null && t.DueAt <= horizon)
            .OrderBy(t => t.DueAt).Take(5000).ToListAsync(cancellationToken);
        var wakeUps = new WakeUps();
        wakeUps.ToBook.AddRange(near);
        await ApplyAsync(wakeUps, cancellationToken);
        return near.Count;
    }

    /// <summary>A wake-up came before the timer's instant (or for an instant it has since left): the booking is spent, book again.</summary>
    public static WakeUps Rebook(ProcessTimer timer)
    {
        timer.HangfireJobId = null;
        var wakeUps = new WakeUps();
        wakeUps.ToBook.Add(timer);
        return wakeUps;
    }

    /// <summary>
    /// An attempt to fire the timer failed (in a transaction of its own, the attempt's rolled back): count it, keep
    /// the error, and try again after a growing pause (30 s, 1, 2, 4 min…); after <see cref="MaxAttempts"/> the timer is
    /// parked. Returns true when it was parked by this failure.
    /// </summary>
    public static bool RecordFailure(ProcessTimer timer, Exception error, DateTimeOffset now)
    {
        timer.Attempts++;
        var message = $"{error.GetType().Name}: {Innermost(error).Message}";
        timer.LastError = message.Length > MaxErrorLength ? message[..MaxErrorLength] : message;
        timer.NextAttemptAt = now + TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, timer.Attempts - 1)));
        timer.HangfireJobId = null;
        if (timer.Attempts < MaxAttempts)
            return false;
        timer.Status = TimerStatus.Parked;
        return true;
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
