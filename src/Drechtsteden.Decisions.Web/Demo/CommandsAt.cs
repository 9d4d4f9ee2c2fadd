using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Demo;

/// <summary>A clock that says what it is told: the demo history and the generator replay the past with it.</summary>
public sealed class SettableClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// The very command services the API and the pages use (the command pipeline with its audit trail, timers and
/// notifications, meeting commands), on one DI scope, but reading <see cref="Clock"/>: history is written through
/// the same rules, transactions and audit chains as live work, only at the instants it happened.
/// </summary>
public sealed class CommandsAt
{
    public CommandsAt(IServiceProvider scope, SettableClock clock)
    {
        Clock = clock;
        Db = scope.GetRequiredService<DecisionsDbContext>();
        var audit = ActivatorUtilities.CreateInstance<AuditTrail>(scope, (TimeProvider)clock);
        Audit = audit;
        var timers = ActivatorUtilities.CreateInstance<TimerStore>(scope, (TimeProvider)clock);
        var notifier = ActivatorUtilities.CreateInstance<Notifier>(scope, audit, (TimeProvider)clock);
        var pipeline = ActivatorUtilities.CreateInstance<CommandPipeline>(scope, audit, timers, notifier, (TimeProvider)clock);
        Pipeline = pipeline;
        Meetings = ActivatorUtilities.CreateInstance<MeetingCommands>(scope, audit, pipeline, (TimeProvider)clock);
        Export = ActivatorUtilities.CreateInstance<AuditExport>(scope, audit);
        Jobs = ActivatorUtilities.CreateInstance<TimerJobs>(scope, pipeline, timers, (TimeProvider)clock);
    }

    public SettableClock Clock { get; }
    public DecisionsDbContext Db { get; }
    public AuditTrail Audit { get; }
    public AuditExport Export { get; }
    public TimerJobs Jobs { get; }
    public CommandPipeline Pipeline { get; }
    public MeetingCommands Meetings { get; }

    public static CommandKey Key(string command, object payload) => new(null, command, payload);

    /// <summary>A person's command on a process, at the clock's instant.</summary>
    public Task<CommandAnswer> RunAsync(Guid processId, ProcessCommand command, Actor actor, CommandKey key, CancellationToken cancellationToken) =>
        Pipeline.RunAsync(processId, command, actor, key, null, cancellationToken);

    /// <summary>
    /// The past's messages of a process went out at <paramref name="sentAt"/>: marked sent and proved on its chain as the
    /// dispatcher does (rows locked, so a running dispatcher skips them). Returns how many.
    /// </summary>
    public Task<int> DeliverAsync(Guid processId, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        Clock.Now = sentAt;
        return Audit.InTransactionAsync(async () =>
        {
            var pending = await Db.Outbox
                .FromSql($"SELECT * FROM outbox_messages WHERE process_id = {processId} AND status = 'Pending' ORDER BY id FOR UPDATE")
                .ToListAsync(cancellationToken);
            foreach (var message in pending)
            {
                OutboxDispatcher.Delivered(message, sentAt);
                await OutboxDispatcher.ProveAsync(Audit, message, cancellationToken);
            }
            return pending.Count;
        }, cancellationToken);
    }
}
