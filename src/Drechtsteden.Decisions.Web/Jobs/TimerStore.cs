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
            // A row created in this transaction is not stored yet: its insert writes it as it is when the batch is sent.
            if (row.Id > 0)
                WriteStatus(row);
        }
        foreach (var instance in changes.Create)
        {
            var row = new ProcessTimer
            {
                // Until the insert's RETURNING gives it its id: unique within the transaction, never stored.
                Id = --_unsaved,
                ProcessId = process.Id,
                MunicipalityCode = instance.MunicipalityCode,
                TimerId = instance.TimerId,
                InstanceKey = instance.Key,
                OffsetDays = instance.OffsetDays,
                DueAt = Time.Instants.ToMicroseconds(instance.DueAt),
                Status = TimerStatus.Scheduled,
                CreatedAt = now,
            };
            db.Writes.Add(db, () => WriteBatch.Command(
                "INSERT INTO timers (process_id, municipality_code, timer_id, instance_key, offset_days, due_at, status, hangfire_job_id, fired_at, " +
                "created_at, attempts, last_error, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                row.ProcessId, row.MunicipalityCode, row.TimerId, row.InstanceKey, row.OffsetDays, row.DueAt, row.Status.ToString(), row.HangfireJobId,
                row.FiredAt, row.CreatedAt, row.Attempts, row.LastError, row.NextAttemptAt),
                reader => row.Id = reader.GetInt64(0), expectedRows: 1);
            wakeUps.ToBook.Add(row);
        }
        return wakeUps;
    }

    /// <summary>The ids handed to timers created in this transaction until they are stored (negative).</summary>
    private long _unsaved;

    /// <summary>A timer read with its process fired now (written with the command's other changes).</summary>
    public void MarkFired(ProcessTimer timer, DateTimeOffset now)
    {
        timer.Status = TimerStatus.Fired;
        timer.FiredAt = now;
        WriteStatus(timer);
    }

    /// <summary><see cref="Rebook(ProcessTimer)"/> for a timer read with its process: the spent booking is written with the command's changes.</summary>
    public WakeUps RebookRead(ProcessTimer timer)
    {
        var wakeUps = Rebook(timer);
        WriteStatus(timer);
        return wakeUps;
    }

    /// <summary>Writes a stored timer's status, booking and firing instant (what a command changes about a timer).</summary>
    private void WriteStatus(ProcessTimer timer) =>
        db.Writes.Add(db, () => WriteBatch.Command("UPDATE timers SET status = $2, hangfire_job_id = $3, fired_at = $4 WHERE id = $1",
            timer.Id, timer.Status.ToString(), timer.HangfireJobId, timer.FiredAt), expectedRows: 1);

    private static readonly Func<DecisionsDbContext, Guid, IAsyncEnumerable<ProcessTimer>> TimersOf =
        EF.CompileAsyncQuery((DecisionsDbContext db, Guid processId) => db.Timers.AsNoTracking().Where(t => t.ProcessId == processId && t.Status != TimerStatus.Cancelled));

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
