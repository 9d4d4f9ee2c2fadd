using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Processes;

/// <summary>What a command answers (the API's body, and what a retry with the same Idempotency-Key gets again).</summary>
public sealed record CommandAnswer(Guid ProcessId, string State, uint Version, IReadOnlyList<string> Warnings, bool Replayed = false);

/// <summary>The client's copy is stale: the process changed since the version it sent in If-Match.</summary>
public sealed class StaleVersionException(uint expected, uint actual)
    : Exception($"The process changed since you loaded it (version {expected}, now {actual}); reload and try again.");

/// <summary>
/// The one way a change reaches a process. A command runs as one PostgreSQL transaction: an Idempotency-Key that was
/// seen before replays the first answer; a meeting the command names is share-locked, then the process row is locked
/// (FOR UPDATE), so commands on one process queue up and a calendar change cannot slip in between; the domain decides
/// (who may, and what follows); then, in the same transaction, the pipeline persists what the domain returned — the
/// aggregate, the audit entries, the messages — and makes the stored timers what the new state calls for. After the
/// commit it books the timers' wake-ups. Timers that fire, risk alerts and calendar changes that move agenda items use
/// the same steps.
/// </summary>
public sealed class CommandPipeline(
    DecisionsDbContext db, DecisionWorkflow workflow, WorkflowCatalog catalog, AuditTrail audit, TimerStore timers, Notifier notifier, TimeProvider clock)
{
    private WakeUps _wakeUps = new();

    /// <summary>The timer rows of the processes locked in this transaction, read with them and tracked.</summary>
    private readonly Dictionary<Guid, IReadOnlyList<ProcessTimer>> _timerRows = [];

    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<CommandAnswer> StartAsync(StartProcess command, Actor actor, string? userRegion, CommandKey key, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await AnswerAsync(key, actor, async () =>
        {
            var code = command.Region ?? userRegion
                ?? await db.Regions.OrderBy(r => r.Code).Select(r => r.Code).FirstOrDefaultAsync(cancellationToken)
                ?? throw DomainException.NotFound("region-not-found", "No region is configured.");
            var region = await db.Regions.FindAsync([code], cancellationToken)
                ?? throw DomainException.NotFound("region-not-found", $"Region '{code}' does not exist.");
            var (process, outcome) = workflow.Start(command, region, actor, Now);
            db.Writes.Track(db, process, version: null);
            audit.ChainStarted(process.Id);
            _timerRows[process.Id] = [];
            await PersistAsync(process, null, outcome, actor, StatusCodes.Status201Created, cancellationToken);
            return process;
        }, cancellationToken);
    }

    /// <summary>Runs a person's command on a process. <paramref name="expectedVersion"/> is the client's If-Match.</summary>
    public async Task<CommandAnswer> RunAsync(Guid processId, ProcessCommand command, Actor actor, CommandKey key, uint? expectedVersion = null,
        CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await AnswerAsync(key, actor, async () =>
        {
            // A meeting the command names is share-locked in the same round trip, before the process: a calendar change
            // locks them in the same order, so neither waits on the other in a circle.
            var (process, meeting) = await LockAsync(processId, command is ScheduleItem { MeetingId: { } meetingId } ? meetingId : null, cancellationToken);
            var version = VersionOf(process);
            if (expectedVersion is { } expected && expected != version)
                throw new StaleVersionException(expected, version);
            var before = ProcessAudit.Take(process);
            var outcome = workflow.Execute(process, command, actor, Now, meeting);
            await PersistAsync(process, before, outcome, actor, StatusCodes.Status200OK, cancellationToken);
            return (process, outcome.Warnings);
        }, cancellationToken);
    }

    /// <summary>
    /// Fires one timer, if it is still scheduled and due. A wake-up that comes early (or for an instant the timer has
    /// since left) only makes sure a wake-up exists. The firing row's primary key makes a second firing impossible;
    /// its effects commit with it. A failure throws and changes nothing; the caller records it (<see cref="TimerFailedAsync"/>).
    /// </summary>
    public async Task<bool> FireTimerAsync(long timerId, DateTimeOffset? scheduledFor, string firedBy, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        var processId = await db.Timers.AsNoTracking().Where(t => t.Id == timerId).Select(t => (Guid?)t.ProcessId).FirstOrDefaultAsync(cancellationToken);
        if (processId is null)
            return false;
        double lateness = 0;
        var fired = await InTransactionAsync(async () =>
        {
            var process = await LockAsync(processId.Value, cancellationToken);
            // Read with the process (a cancelled one was not: it is not due any more).
            var timer = _timerRows[process.Id].FirstOrDefault(t => t.Id == timerId);
            if (timer is null || timer.Status != TimerStatus.Scheduled)
                return false;
            var now = Now;
            if (timer.DueAt > now)
            {
                if (scheduledFor is null || scheduledFor == timer.DueAt)
                    _wakeUps.Add(timers.RebookRead(timer));
                return false;
            }
            lateness = (now - timer.DueAt).TotalMilliseconds;
            db.TimerFirings.Add(new TimerFiring { TimerId = timer.Id, FiredAt = now, LatenessMilliseconds = lateness, FiredBy = firedBy });
            timers.MarkFired(timer, now);
            var before = ProcessAudit.Take(process);
            ProcessOutcome outcome;
            try
            {
                outcome = workflow.FireTimer(process, timer.TimerId, timer.MunicipalityCode, now, $"timer:{timer.Id}");
            }
            catch (DomainException e)
            {
                // Reconciliation cancels a timer whose state moved on; a refusal here means a definition whose timer and
                // trigger disagree. The timer is spent either way, and the trail says why nothing happened.
                await audit.AppendAsync(Actor.SystemActor, new AuditRecord(process.Id, "timer.trigger-refused", "process", process.Id.ToString(), process.Reference,
                    process.Id, Reason: $"{timer.TimerId}: {e.Message}"), cancellationToken);
                outcome = new ProcessOutcome([], [], null, []);
            }
            await PersistAsync(process, before, outcome, Actor.SystemActor, StatusCodes.Status200OK, cancellationToken);
            return true;
        }, cancellationToken);
        if (fired)
        {
            Telemetry.TimersFired.Add(1);
            Telemetry.TimerLateness.Record(lateness);
        }
        return fired;
    }

    /// <summary>
    /// An attempt to fire a timer failed: recorded in a transaction of its own (the attempt's was rolled back). After
    /// <see cref="TimerStore.MaxAttempts"/> attempts the timer is parked, the process's trail says so, and the
    /// administrators are told. True when it was parked now.
    /// </summary>
    public async Task<bool> TimerFailedAsync(long timerId, Exception error, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await InTransactionAsync(async () =>
        {
            var processId = await db.Timers.Where(t => t.Id == timerId).Select(t => t.ProcessId).FirstAsync(cancellationToken);
            var process = await LockAsync(processId, cancellationToken);
            var timer = await db.Timers.FirstAsync(t => t.Id == timerId, cancellationToken);
            if (timer.Status != TimerStatus.Scheduled || !TimerStore.RecordFailure(timer, error, Now))
                return false;
            await audit.AppendAsync(Actor.SystemActor, new AuditRecord(process.Id, "timer.parked", "timer", timer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{process.Reference} – {timer.TimerId}", process.Id, MunicipalityCode: timer.MunicipalityCode,
                After: new JsonObject { ["timer"] = timer.TimerId, ["dueAt"] = timer.DueAt.ToString("O"), ["attempts"] = timer.Attempts },
                Reason: timer.LastError, Status: StatusCodes.Status500InternalServerError), cancellationToken);
            await notifier.NotifyAsync(process, null, NotificationComposer.TimerParked, Role.Admin, $"parked:timer:{timer.Id}", cancellationToken, timer.LastError);
            return true;
        }, cancellationToken);
    }

    /// <summary>An administrator sends a parked timer back to be fired (now, as it is overdue); audited.</summary>
    public async Task<bool> RetryTimerAsync(long timerId, Actor actor, CancellationToken cancellationToken = default) =>
        await InTransactionAsync(async () =>
        {
            var processId = await db.Timers.Where(t => t.Id == timerId).Select(t => (Guid?)t.ProcessId).FirstOrDefaultAsync(cancellationToken);
            if (processId is null)
                return false;
            var process = await LockAsync(processId.Value, cancellationToken);
            var timer = await db.Timers.FirstAsync(t => t.Id == timerId, cancellationToken);
            if (timer.Status != TimerStatus.Parked)
                return false;
            timer.Status = TimerStatus.Scheduled;
            timer.Attempts = 0;
            timer.NextAttemptAt = null;
            await audit.AppendAsync(actor, new AuditRecord(process.Id, "timer.retried", "timer", timer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{process.Reference} – {timer.TimerId}", process.Id, MunicipalityCode: timer.MunicipalityCode, Reason: timer.LastError), cancellationToken);
            _wakeUps.Add(TimerStore.Rebook(timer));
            return true;
        }, cancellationToken);

    /// <summary>
    /// Tells the coordinators, once per item, that a college has no meeting left before the deadline for an item it still
    /// has to schedule — if that still holds under the process lock (<see cref="ProcessRisks"/>).
    /// </summary>
    public async Task<bool> AlertRiskAsync(Guid processId, Guid itemId, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await InTransactionAsync(async () =>
        {
            var process = await LockAsync(processId, cancellationToken);
            var item = process.Items.First(i => i.Id == itemId);
            var now = Now;
            var hasMeeting = await db.Meetings.AnyAsync(m => m.MunicipalityCode == item.MunicipalityCode && m.Status == MeetingStatus.Planned
                && m.StartsAt > now && m.StartsAt < process.DeadlineAt, cancellationToken);
            if (!ProcessRisks.HasNoMeetingLeft(workflow.DefinitionOf(process), process, item, hasMeeting, now))
                return false;
            var inserted = await db.Database.ExecuteSqlAsync(
                $"INSERT INTO risk_alerts (item_id, process_id, alerted_at) VALUES ({itemId}, {processId}, {now}) ON CONFLICT DO NOTHING", cancellationToken);
            if (inserted == 1)
                await notifier.NotifyAsync(process, item, "no-meeting-left", Role.Coordinator, $"risk:{item.Id}", cancellationToken);
            return inserted == 1;
        }, cancellationToken);
    }

    /// <summary>
    /// Runs calendar work that touches processes (a moved meeting) as one transaction: the caller locks the meeting first,
    /// then the processes through <see cref="LockAsync"/>, and persists each changed one through <see cref="PersistAsync"/>.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var result = await audit.InTransactionAsync(async () =>
        {
            _wakeUps = new WakeUps(); // a retried attempt starts over
            _timerRows.Clear();
            return await work();
        }, cancellationToken);
        await timers.ApplyAsync(_wakeUps, cancellationToken);
        _wakeUps = new WakeUps();
        return result;
    }

    /// <summary>
    /// Persists what the domain returned for a process, in the open transaction: the audit entries, the messages, and
    /// the timers its new state calls for (reconciled against the stored ones; their wake-ups are booked after the commit).
    /// </summary>
    public async Task PersistAsync(DecisionProcess process, ProcessAudit.Snapshot? before, ProcessOutcome outcome, Actor actor, int status,
        CancellationToken cancellationToken, IEnumerable<AuditRecord>? extraRecords = null)
    {
        foreach (var record in ProcessAudit.RecordsFor(before, process, outcome, status).Concat(extraRecords ?? []))
            await audit.AppendAsync(actor, record, cancellationToken);
        foreach (var notice in outcome.Notices)
            await notifier.NotifyAsync(process, notice, cancellationToken);
        // The events for the webhooks, in the same transaction (the outbox): written here, delivered by the WebhookDispatcher.
        foreach (var e in Webhooks.WebhookEvents.From(process, outcome, Now))
            db.Writes.Add(db, () => WriteBatch.Command(
                "INSERT INTO webhook_events (id, type, process_id, subject, occurred_at, data) VALUES ($1, $2, $3, $4, $5, $6)",
                e.Id, e.Type, e.ProcessId, e.Subject, e.OccurredAt, WriteBatch.Json(e.Data)), expectedRows: 1);
        var stored = _timerRows.GetValueOrDefault(process.Id);
        var wakeUps = await timers.ReconcileAsync(process, stored, workflow.DesiredTimers(process), Now, cancellationToken);
        if (stored is not null)
            _timerRows[process.Id] = [.. stored, .. wakeUps.ToBook]; // persisted again in this transaction: it knows its new rows
        _wakeUps.Add(wakeUps);
    }

    /// <summary>
    /// The whole aggregate under its row lock (FOR UPDATE), with its version, its audit chain's head and its timers — one
    /// round trip (<see cref="CommandRead"/>); NotFound when there is no such process. Its changes are written by
    /// <see cref="WriteBatch"/> (<see cref="ProcessRows"/>).
    /// </summary>
    public async Task<DecisionProcess> LockAsync(Guid processId, CancellationToken cancellationToken) =>
        (await LockAsync(processId, null, cancellationToken)).Process;

    /// <summary>
    /// <see cref="LockAsync"/>, and before the process, in the same round trip, the meeting a schedule command names FOR
    /// SHARE (several items may be scheduled on it at once, but it cannot be moved or cancelled meanwhile); that meeting
    /// is null when there is no such meeting.
    /// </summary>
    public async Task<(DecisionProcess Process, Meeting? Meeting)> LockAsync(Guid processId, Guid? meetingId, CancellationToken cancellationToken)
    {
        var (read, meeting) = await CommandRead.ReadAsync(db, processId, meetingId, cancellationToken);
        if (read is null)
            throw DomainException.NotFound("process-not-found", $"Process {processId} does not exist.");
        audit.Locked(processId, read.ChainHead);
        // Locked twice in one transaction (a calendar change): the aggregate read first is the one that is written.
        var process = db.Writes.Track(db, read.Process, read.Version).Process;
        _timerRows.TryAdd(processId, read.Timers);
        return (process, meeting);
    }

    /// <summary>The timer rows of a process locked in this transaction, as read with it (and as this transaction has changed them).</summary>
    public IReadOnlyList<ProcessTimer> TimersRead(Guid processId) => _timerRows[processId];

    /// <summary>A meeting, locked FOR UPDATE and tracked, for a calendar change (moved, cancelled). Null when there is no such meeting.</summary>
    public async Task<Meeting?> LockMeetingAsync(Guid meetingId, CancellationToken cancellationToken) =>
        await db.Meetings.FromSql($"SELECT *, xmin FROM meetings WHERE id = {meetingId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);

    /// <summary>The process row's version (xmin), as last read or written in this transaction.</summary>
    public uint VersionOf(DecisionProcess process) => db.Writes.VersionOf(process);

    private Task<CommandAnswer> AnswerAsync(CommandKey key, Actor actor, Func<Task<DecisionProcess>> work, CancellationToken cancellationToken) =>
        AnswerAsync(key, actor, async () => (await work(), (IReadOnlyList<string>)[]), cancellationToken);

    /// <summary>Idempotency around one command's transaction: the answer is stored with the change, and replayed for a retry.</summary>
    private async Task<CommandAnswer> AnswerAsync(CommandKey key, Actor actor, Func<Task<(DecisionProcess Process, IReadOnlyList<string> Warnings)>> work,
        CancellationToken cancellationToken)
    {
        if (await db.ReplayAsync<CommandAnswer>(key, actor, cancellationToken) is { } earlier)
            return earlier with { Replayed = true };
        try
        {
            var answer = await InTransactionAsync(async () =>
            {
                var (process, warnings) = await work();
                await db.SaveChangesAsync(cancellationToken);
                // Everything the command changed is saved; what this transaction adds after it (the idempotency record)
                // is added explicitly, so the closing save need not compare the whole aggregate with its snapshot again.
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                var answer = new CommandAnswer(process.Id, process.State, VersionOf(process), warnings);
                db.Remember(key, actor, answer, Now);
                return answer;
            }, cancellationToken);
            Telemetry.Commands.Add(1, new KeyValuePair<string, object?>("command", key.Command), new KeyValuePair<string, object?>("outcome", "ok"));
            return answer;
        }
        catch (DbUpdateException e) when (e.IsConcurrentDuplicate())
        {
            // The same request ran concurrently and committed first: answer what it answered.
            db.ChangeTracker.Clear();
            return (await db.ReplayAsync<CommandAnswer>(key, actor, cancellationToken) ?? throw new InvalidOperationException("The idempotency record vanished.")) with { Replayed = true };
        }
        catch (DbUpdateConcurrencyException)
        {
            throw DomainException.Conflict("concurrent-change", "Someone else changed this item at the same moment; reload and try again.");
        }
        catch (DomainException e)
        {
            Telemetry.Commands.Add(1, new KeyValuePair<string, object?>("command", key.Command), new KeyValuePair<string, object?>("outcome", e.Code));
            throw;
        }
    }

    private async Task EnsureCatalogAsync(CancellationToken cancellationToken)
    {
        if (!catalog.IsLoaded)
            await catalog.LoadAsync(db, audit, clock, cancellationToken);
    }
}
