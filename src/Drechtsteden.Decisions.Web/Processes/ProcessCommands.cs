using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Processes;

/// <summary>What a command answers, and what a retry with the same Idempotency-Key gets again.</summary>
public sealed record CommandResponse(Guid ProcessId, string State, uint Version, IReadOnlyList<string> Warnings, IReadOnlyList<StateChange> Changes)
{
    /// <summary>True when this is the stored answer to an earlier request with the same key.</summary>
    public bool Replayed { get; init; }
}

/// <summary>The client's copy is stale: the process changed since the version it sent in If-Match.</summary>
public sealed class StaleVersionException(uint expected, uint actual)
    : Exception($"The process changed since you loaded it (version {expected}, now {actual}); reload and try again.");

/// <summary>
/// Runs process commands as single PostgreSQL transactions: the process row is locked (FOR UPDATE), so commands on
/// one process are serialized and the second of two conflicting commands sees the first one's result; the state
/// change, its audit entries, its timers, its outbox messages and the idempotency record commit together or not at
/// all. Timers that fire are commands too: as the system, under the same lock, at most once.
/// </summary>
public sealed class ProcessCommands(
    DecisionsDbContext db, DecisionWorkflow workflow, WorkflowCatalog catalog, AuditTrail audit, TimerScheduler timers, Notifier notifier, TimeProvider clock)
{
    public async Task<CommandResponse> StartAsync(StartProcess command, string regionCode, Actor actor, CommandKey key, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await RunAsync(key, actor, StatusCodes.Status201Created, async () =>
        {
            var region = await db.Regions.FindAsync([regionCode], cancellationToken)
                ?? throw DomainException.NotFound("region-not-found", $"Region '{regionCode}' does not exist.");
            var (process, result) = workflow.Start(command, region, actor, clock.GetUtcNow());
            db.Processes.Add(process);
            audit.ChainStarted(process.Id);
            return (process, null, result);
        }, cancellationToken);
    }

    /// <summary>Runs a command on an existing process. <paramref name="expectedVersion"/> is the client's If-Match.</summary>
    public async Task<CommandResponse> ExecuteAsync(Guid processId, Actor actor, CommandKey key, uint? expectedVersion,
        Func<DecisionProcess, DateTimeOffset, Task<CommandResult>> command, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await RunAsync(key, actor, StatusCodes.Status200OK, async () =>
        {
            var process = await LockAndLoadAsync(processId, cancellationToken);
            var version = VersionOf(process);
            if (expectedVersion is { } expected && expected != version)
                throw new StaleVersionException(expected, version);
            var before = ProcessAudit.Take(process);
            var result = await command(process, clock.GetUtcNow());
            return (process, before, result);
        }, cancellationToken);
    }

    /// <summary>
    /// Fires one timer, if it is still scheduled and due. A wake-up that comes early (or for an instant the timer has
    /// since moved from) only makes sure a wake-up exists. The firing row's primary key makes a second firing
    /// impossible; its effects — trigger, notifications, audit entries, new timers — commit with it.
    /// </summary>
    public async Task<bool> FireTimerAsync(long timerId, DateTimeOffset? scheduledFor, string firedBy, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        var processId = await db.Timers.AsNoTracking().Where(t => t.Id == timerId).Select(t => (Guid?)t.ProcessId).FirstOrDefaultAsync(cancellationToken);
        if (processId is null)
            return false;

        var fired = false;
        double lateness = 0;
        var timerChanges = await audit.InTransactionAsync(async () =>
        {
            fired = false;
            var process = await LockAndLoadAsync(processId.Value, cancellationToken);
            var timer = await db.Timers.FirstAsync(t => t.Id == timerId, cancellationToken);
            if (timer.Status != TimerStatus.Scheduled)
                return new TimerChanges();
            var now = clock.GetUtcNow();
            if (timer.DueAt > now)
            {
                var changes = new TimerChanges();
                // Woke too early: make sure this timer has a wake-up at its due instant; a wake-up for an old instant does nothing.
                if (scheduledFor is null || scheduledFor == timer.DueAt)
                {
                    timer.HangfireJobId = null; // this wake-up is spent; the booking after the commit claims a new one
                    changes.ToSchedule.Add(timer);
                }
                return changes;
            }

            var definition = workflow.DefinitionOf(process);
            var timerDefinition = definition.Timers.First(t => t.Id == timer.TimerId);
            lateness = (now - timer.DueAt).TotalMilliseconds;
            db.TimerFirings.Add(new TimerFiring { TimerId = timer.Id, FiredAt = now, LatenessMilliseconds = lateness, FiredBy = firedBy });
            timer.Status = TimerStatus.Fired;
            timer.FiredAt = now;
            fired = true;

            if (timerDefinition.Trigger is { } trigger)
            {
                var before = ProcessAudit.Take(process);
                try
                {
                    var result = workflow.FireTimerTrigger(process, timer.MunicipalityCode, trigger, now);
                    foreach (var record in ProcessAudit.RecordsFor(before, process, result, StatusCodes.Status200OK))
                        await audit.AppendAsync(Actor.SystemActor, record, cancellationToken);
                    await NotifyEnteredStatesAsync(process, definition, result, cancellationToken);
                }
                catch (DomainException e)
                {
                    // The state moved on since the timer was planned; it fired, but its trigger no longer applies.
                    await audit.AppendAsync(Actor.SystemActor, new AuditRecord(process.Id, "timer.trigger-refused", "process", process.Id.ToString(), process.Reference,
                        process.Id, Reason: $"{timer.TimerId}: {trigger} refused: {e.Message}"), cancellationToken);
                }
            }
            if (timerDefinition.Notification is { } notification && timerDefinition.Recipient is { } recipient)
            {
                var item = timer.MunicipalityCode is null ? null : process.Item(timer.MunicipalityCode);
                await notifier.NotifyAsync(process, item, notification, recipient, $"timer:{timer.Id}", cancellationToken);
            }
            return await timers.SyncAsync(process, definition, now, cancellationToken);
        }, cancellationToken);
        await timers.ApplyAsync(timerChanges, cancellationToken);
        if (fired)
        {
            Telemetry.TimersFired.Add(1);
            Telemetry.TimerLateness.Record(lateness);
        }
        return fired;
    }

    /// <summary>Tells the coordinators, once, that a college has no meeting left before the deadline for an item it still has to schedule.</summary>
    public async Task<bool> AlertRiskAsync(Guid processId, Guid itemId, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        var alerted = false;
        await audit.InTransactionAsync(async () =>
        {
            var process = await LockAndLoadAsync(processId, cancellationToken);
            var item = process.Items.First(i => i.Id == itemId);
            var inserted = await db.Database.ExecuteSqlAsync(
                $"INSERT INTO risk_alerts (item_id, process_id, alerted_at) VALUES ({itemId}, {processId}, {clock.GetUtcNow()}) ON CONFLICT DO NOTHING", cancellationToken);
            alerted = inserted == 1;
            if (alerted)
                await notifier.NotifyAsync(process, item, "no-meeting-left", Role.Coordinator, $"risk:{item.Id}", cancellationToken);
            return new TimerChanges();
        }, cancellationToken);
        return alerted;
    }

    /// <summary>
    /// The messages the definition sends on entering a state (<c>notify</c>), for every state the command entered, in
    /// its transaction: for a process state once, or once per agenda item to the role of the item's municipality. A
    /// state entered again later notifies again (the instant is part of the message's dedupe key).
    /// </summary>
    private async Task NotifyEnteredStatesAsync(DecisionProcess process, WorkflowDefinition definition, CommandResult result, CancellationToken cancellationToken)
    {
        foreach (var change in result.Changes)
        {
            if (change.To == change.From || definition.Machine(change.Machine).State(change.To) is not { Notify.Count: > 0 } state)
                continue;
            foreach (var notify in state.Notify)
            {
                AgendaItem?[] items = change.Machine == MachineKind.Item ? [process.Item(change.Subject!)]
                    : notify.Scope == MachineKind.Item ? [.. process.Items.OrderBy(i => i.MunicipalityCode, StringComparer.Ordinal)] : [(AgendaItem?)null];
                foreach (var item in items)
                    await notifier.NotifyAsync(process, item, notify.Notification, notify.Recipient,
                        $"state:{item?.Id ?? process.Id}:{change.To}:{notify.Notification}:{clock.GetUtcNow().UtcTicks}", cancellationToken);
            }
        }
    }

    public uint VersionOf(DecisionProcess process) => db.Entry(process).Property<uint>("Version").CurrentValue;

    /// <summary>The whole aggregate in one query, tracked; compiled once (no expression tree to walk per command).</summary>
    private static readonly Func<DecisionsDbContext, Guid, CancellationToken, Task<DecisionProcess>> LoadAggregate =
        EF.CompileAsyncQuery((DecisionsDbContext db, Guid id, CancellationToken _) => db.ProcessAggregates.AsSingleQuery().First(p => p.Id == id));

    private async Task<DecisionProcess> LockAndLoadAsync(Guid processId, CancellationToken cancellationToken)
    {
        if (!await audit.LockProcessAsync(processId, cancellationToken))
            throw DomainException.NotFound("process-not-found", $"Process {processId} does not exist.");
        // One query for the whole aggregate (a handful of rows): under the row lock, round trips are what a command waits on.
        return await LoadAggregate(db, processId, cancellationToken);
    }

    private async Task<CommandResponse> RunAsync(CommandKey key, Actor actor, int status,
        Func<Task<(DecisionProcess Process, ProcessAudit.Snapshot? Before, CommandResult Result)>> work, CancellationToken cancellationToken)
    {
        if (await db.ReplayAsync<CommandResponse>(key, actor, cancellationToken) is { } earlier)
            return earlier with { Replayed = true };

        CommandResponse? response = null;
        try
        {
            var timerChanges = await audit.InTransactionAsync(async () =>
            {
                var (process, before, result) = await work();
                foreach (var record in ProcessAudit.RecordsFor(before, process, result, status))
                    await audit.AppendAsync(actor, record, cancellationToken);
                await NotifyEnteredStatesAsync(process, workflow.DefinitionOf(process), result, cancellationToken);
                var changes = await timers.SyncAsync(process, workflow.DefinitionOf(process), clock.GetUtcNow(), cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                response = new CommandResponse(process.Id, process.State, VersionOf(process), result.Warnings, result.Changes);
                db.Remember(key, actor, response, clock.GetUtcNow());
                return changes;
            }, cancellationToken);
            await timers.ApplyAsync(timerChanges, cancellationToken);
            Telemetry.Commands.Add(1, new KeyValuePair<string, object?>("command", key.Command), new KeyValuePair<string, object?>("outcome", "ok"));
            return response!;
        }
        catch (DbUpdateException e) when (e.IsConcurrentDuplicate())
        {
            // The same request ran concurrently and committed first: answer what it answered.
            db.ChangeTracker.Clear();
            return (await db.ReplayAsync<CommandResponse>(key, actor, cancellationToken) ?? throw new InvalidOperationException("The idempotency record vanished.")) with { Replayed = true };
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
