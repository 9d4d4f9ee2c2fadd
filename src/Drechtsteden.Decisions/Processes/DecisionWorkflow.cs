using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Input;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>Where the engine finds a definition version: the catalog of stored definitions.</summary>
public interface IWorkflowDefinitions
{
    WorkflowDefinition Find(string definitionId, int version);

    WorkflowDefinition Latest(string definitionId);
}

/// <summary>A message the workflow asks to send: a notification template, to a role, for the process or one item.</summary>
/// <param name="Source">What caused it (a state entered at an instant, a timer): with the recipient, it makes the message's dedupe key.</param>
public sealed record Notice(string Notification, Role Recipient, string? Municipality, string Source);

/// <summary>
/// What a command did to the process, for the pipeline to persist: the state changes (each with its audit name), the
/// warnings for the user, the reason given, and the messages to send. The timers are not in it: they follow from the
/// process's new state (<see cref="TimerPlan"/>).
/// </summary>
public sealed record ProcessOutcome(IReadOnlyList<StateChange> Changes, IReadOnlyList<string> Warnings, string? Reason, IReadOnlyList<Notice> Notices);

/// <summary>
/// The commands of a regional decision process. Each fires the trigger its definition maps the command to and then
/// lets the engine settle: automatic item transitions, then the process's completion rule and automatic transitions.
/// Who may act is the definition's to say (roles on each transition, the OwnMunicipality guard), checked by the engine
/// and nowhere else. The caller persists the aggregate and the outcome in one transaction.
/// </summary>
public sealed class DecisionWorkflow(IWorkflowDefinitions definitions, WorkflowEngine<ProcessContext> engine)
{
    public const string DefaultDefinitionId = "synchronized-college-decision";

    public WorkflowEngine<ProcessContext> Engine { get; } = engine;

    public WorkflowDefinition DefinitionOf(DecisionProcess process) => definitions.Find(process.DefinitionId, process.DefinitionVersion);

    public WorkflowDefinition Definition(string definitionId, int version) => definitions.Find(definitionId, version);

    /// <summary>True once the process is in a state in which its decisions are public.</summary>
    public bool IsEmbargoLifted(DecisionProcess process) => DefinitionOf(process).IsEmbargoLifted(process.State);

    /// <summary>The timers the process must have now (a function of its state; see <see cref="TimerPlan"/>).</summary>
    public IReadOnlyList<TimerInstance> DesiredTimers(DecisionProcess process) => TimerPlan.For(DefinitionOf(process), process);

    public (DecisionProcess Process, ProcessOutcome Outcome) Start(StartProcess command, Region region, Actor actor, DateTimeOffset now)
    {
        CommandInput.Validate(command);
        var definition = definitions.Latest(command.DefinitionId ?? DefaultDefinitionId);
        WorkflowPermissions.EnsureRoleMayStart(definition, actor.Role);
        var deadline = Validate(command, region, now);
        var process = new DecisionProcess(Guid.CreateVersion7(now), definition.DefinitionId, definition.Version, region.Code, command.Title!.Trim(),
            command.Reference!.Trim(), deadline, command.SynchronizationWindowStart, definition.Process.InitialState, now, actor.UserId);
        process.AddConcept(TextComparison.Normalize(command.ConceptText), NullIfBlank(command.DocumentUrl), null, now, actor.UserId, command.CouncilLetter);
        if (command.TimerOffsets is { Count: > 0 } offsets)
        {
            foreach (var (timerId, days) in offsets)
            {
                if (definition.Timers.All(t => t.Id != timerId))
                    throw DomainException.Invalid("timer-unknown", $"The workflow has no timer '{timerId}'; it has {string.Join(", ", definition.Timers.Select(t => t.Id))}.", "timerOffsets");
                if (days.Length == 0 || days.Any(d => d is < -366 or > 366))
                    throw DomainException.Invalid("timer-offsets-invalid", $"Offsets for '{timerId}' must be one or more whole days between -366 and 366.", "timerOffsets");
            }
            process.SetTimerOffsets(offsets);
        }
        foreach (var code in command.Participants!.Distinct(StringComparer.Ordinal))
            process.AddItem(new AgendaItem(process.Id, code, definition.Item.InitialState));
        var context = new ProcessContext(process, actor, now);
        var changes = new List<StateChange> { new(MachineKind.Process, null, StartProcess.Command, "", process.State, "process.started") };
        changes.AddRange(Settle(definition, context));
        return (process, Outcome(definition, context, changes));
    }

    /// <summary>
    /// Runs a person's command on the process. <paramref name="meeting"/> is the meeting a schedule command names,
    /// read (and share-locked) by the caller; null when it names none or one that does not exist.
    /// </summary>
    public ProcessOutcome Execute(DecisionProcess process, ProcessCommand command, Actor actor, DateTimeOffset now, Meeting? meeting = null)
    {
        CommandInput.Validate(command);
        var definition = DefinitionOf(process);
        var trigger = definition.TriggerFor(command.Command);
        if (command is ItemCommand itemCommand)
        {
            if (definition.Process.IsFinal(process.State))
                throw DomainException.Conflict("process-closed", $"The process is {process.State}; its agenda items can no longer change.");
            var item = process.Item(itemCommand.Municipality);
            var context = new ProcessContext(process, actor, now)
            {
                Item = item,
                EmbargoLifted = definition.IsEmbargoLifted(process.State),
                Meeting = meeting,
                MeetingId = (command as ScheduleItem)?.MeetingId,
                Decision = command as RecordDecision,
                Reason = (command as RecordDecision)?.Reason,
                CouncilInformedOn = (command as ConfirmCouncil)?.InformedOn,
                CouncilLink = NullIfBlank((command as ConfirmCouncil)?.Link),
            };
            var before = ProcessFacts.Of(process);
            var outcome = FireOnItem(definition, context, item, trigger);
            // Derived from the state before and after, not attached to particular steps: what the coordinator must hear.
            var signals = ProcessStatusRules.CoordinatorSignals(before, ProcessFacts.Of(process));
            return signals.Count == 0 ? outcome : outcome with
            {
                Notices = [.. outcome.Notices, .. signals.Select(s => new Notice(s.Notification, Role.Coordinator, s.Municipality, $"signal:{process.Item(s.Municipality).Id}:{s.Notification}:{now.UtcTicks}"))],
            };
        }
        return FireOnProcess(definition, trigger, command switch
        {
            ReviseConcept c => new ProcessContext(process, actor, now) { ConceptText = c.Text, DocumentUrl = NullIfBlank(c.DocumentUrl), Reason = c.Note, CouncilLetter = c.CouncilLetter },
            ExtendDeadline c => new ProcessContext(process, actor, now) { NewDeadline = DeadlineOf(c.Date, c.At), Reason = c.Reason },
            Publish c => new ProcessContext(process, actor, now) { PublicationAt = c.At },
            CancelProcess c => new ProcessContext(process, actor, now) { Reason = c.Reason },
            PlanTargetWeek c => new ProcessContext(process, actor, now) { TargetWeek = c.Week },
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        });
    }

    /// <summary>
    /// A due timer of the definition fires: its trigger as the system (when it has one), and its message. A trigger
    /// that no longer applies throws: the timer should have been cancelled when the state moved on.
    /// </summary>
    public ProcessOutcome FireTimer(DecisionProcess process, string timerId, string? municipalityCode, DateTimeOffset now, string source)
    {
        var definition = DefinitionOf(process);
        var timer = definition.Timers.FirstOrDefault(t => t.Id == timerId)
            ?? throw DomainException.NotFound("timer-unknown", $"The workflow has no timer '{timerId}'.");
        var item = municipalityCode is null ? null : process.Item(municipalityCode);
        var context = new ProcessContext(process, Actor.SystemActor, now) { Item = item, EmbargoLifted = definition.IsEmbargoLifted(process.State) };
        ProcessOutcome outcome = timer.Trigger is not { } trigger ? new([], [], null, [])
            : item is null ? FireOnProcess(definition, trigger, context) : FireOnItem(definition, context, item, trigger);
        if (timer.Notification is { } notification && timer.Recipient is { } recipient)
            outcome = outcome with { Notices = [.. outcome.Notices, new Notice(notification, recipient, municipalityCode, source)] };
        return outcome;
    }

    /// <summary>The commands the actor could give on the process (or on one item) right now: what the UI offers.</summary>
    public IReadOnlyList<string> PermittedCommands(DecisionProcess process, string? municipalityCode, Actor actor, DateTimeOffset now)
    {
        var definition = DefinitionOf(process);
        if (municipalityCode is null)
            return Commands(definition, MachineKind.Process, Engine.PermittedTriggers(definition, MachineKind.Process, ProcessState(process), new ProcessContext(process, actor, now)));
        if (definition.Process.IsFinal(process.State))
            return [];
        var item = process.Item(municipalityCode);
        return Commands(definition, MachineKind.Item, Engine.PermittedTriggers(definition, MachineKind.Item, ItemState(item), new ProcessContext(process, actor, now) { Item = item, EmbargoLifted = definition.IsEmbargoLifted(process.State) }));
    }

    private static List<string> Commands(WorkflowDefinition definition, MachineKind kind, IEnumerable<string> triggers) =>
        [.. triggers.Select(t => definition.CommandFor(kind, t)).OfType<string>().Distinct(StringComparer.Ordinal)];

    private ProcessOutcome FireOnItem(WorkflowDefinition definition, ProcessContext context, AgendaItem item, string trigger)
    {
        var changes = new List<StateChange> { Engine.Fire(definition, MachineKind.Item, ItemState(item), trigger, context, item.MunicipalityCode) };
        changes.AddRange(Settle(definition, context));
        context.Process.Touch(context.Now);
        return Outcome(definition, context, changes);
    }

    private ProcessOutcome FireOnProcess(WorkflowDefinition definition, string trigger, ProcessContext context)
    {
        var changes = new List<StateChange> { Engine.Fire(definition, MachineKind.Process, ProcessState(context.Process), trigger, context) };
        changes.AddRange(Settle(definition, context));
        context.Process.Touch(context.Now);
        return Outcome(definition, context, changes);
    }

    private List<StateChange> Settle(WorkflowDefinition definition, ProcessContext context)
    {
        var changes = new List<StateChange>();
        if (definition.Process.IsFinal(context.Process.State))
            return changes;
        foreach (var item in context.Process.Items)
        {
            var itemContext = new ProcessContext(context.Process, context.Actor, context.Now) { Item = item, EmbargoLifted = definition.IsEmbargoLifted(context.Process.State) };
            changes.AddRange(Engine.Settle(definition, MachineKind.Item, ItemState(item), itemContext, item.MunicipalityCode));
        }
        changes.AddRange(Engine.Settle(definition, MachineKind.Process, ProcessState(context.Process), context));
        return changes;
    }

    /// <summary>
    /// The outcome, with the messages the definition sends on entering a state (<c>notify</c>): for a process state once
    /// or once per agenda item (in the order of the municipality codes), for an item state to its own municipality.
    /// </summary>
    private static ProcessOutcome Outcome(WorkflowDefinition definition, ProcessContext context, List<StateChange> changes)
    {
        var notices = new List<Notice>();
        var process = context.Process;
        foreach (var change in changes.Where(c => c.To != c.From))
        {
            foreach (var notify in definition.Machine(change.Machine).State(change.To)?.Notify ?? [])
            {
                AgendaItem?[] items = change.Machine == MachineKind.Item ? [process.Item(change.Subject!)]
                    : notify.Scope == MachineKind.Item ? [.. process.Items.OrderBy(i => i.MunicipalityCode, StringComparer.Ordinal)] : [null];
                foreach (var item in items)
                {
                    notices.Add(new Notice(notify.Notification, notify.Recipient, item?.MunicipalityCode,
                        $"state:{item?.Id ?? process.Id}:{change.To}:{notify.Notification}:{context.Now.UtcTicks}"));
                }
            }
        }
        return new ProcessOutcome(changes, context.Warnings, context.Decision?.Reason ?? context.Reason, notices);
    }

    private static StateAccessor ItemState(AgendaItem item) => new(() => item.State, item.SetState);

    private static StateAccessor ProcessState(DecisionProcess process) => new(() => process.State, process.SetState);

    /// <summary>A date means the end of that day in Amsterdam; an instant is exact; both or neither is no deadline.</summary>
    private static Deadline? DeadlineOf(DateOnly? date, DateTimeOffset? at) => (date, at) switch
    {
        ({ } d, null) => Deadline.EndOfDay(d),
        (null, { } a) => Deadline.AtInstant(a),
        _ => null,
    };

    private static Deadline Validate(StartProcess command, Region region, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(command.Title))
            throw DomainException.Invalid("title-required", "The process needs a title.", "title");
        if (string.IsNullOrWhiteSpace(command.Reference))
            throw DomainException.Invalid("reference-required", "The process needs a reference (zaaknummer).", "reference");
        if (string.IsNullOrWhiteSpace(command.ConceptText))
            throw DomainException.Invalid("concept-text-required", "The concept needs a decision text.", "conceptText");
        var deadline = DeadlineOf(command.DeadlineDate, command.DeadlineAt)
            ?? throw DomainException.Invalid("deadline-required", "Give the deadline either as a date (deadlineDate) or as an instant (deadlineAt).", "deadlineDate");
        if (deadline.HasPassed(now))
            throw DomainException.Invalid("deadline-in-past", $"The deadline ({deadline}) has already passed.", "deadlineDate");
        if (command.SynchronizationWindowStart is { } start && start > deadline.LastDay)
            throw DomainException.Invalid("window-after-deadline", "The synchronization window starts after the deadline.", "synchronizationWindowStart");
        if (command.Participants is not { Length: > 0 } participants)
            throw DomainException.Invalid("participants-required", "Choose at least one participating municipality.", "participants");
        foreach (var code in participants)
        {
            if (!region.Includes(code))
                throw DomainException.Invalid("participant-not-in-region", $"{code} is not a member of the region {region.Name}.", "participants");
        }
        return deadline;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
