using Drechtsteden.Decisions.Agenda;
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

/// <summary>What a coordinator gives to start a process.</summary>
public sealed record StartProcess(
    string Title,
    string Reference,
    string ConceptText,
    Deadline Deadline,
    IReadOnlyList<string> Participants,
    DateOnly? SynchronizationWindowStart = null,
    string? DocumentUrl = null,
    string? DefinitionId = null,
    IReadOnlyDictionary<string, int[]>? TimerOffsets = null);

/// <summary>What a command did: the state changes (for audit and timers), warnings for the user, and the reason given.</summary>
public sealed record CommandResult(IReadOnlyList<StateChange> Changes, IReadOnlyList<string> Warnings, string? Reason = null);

/// <summary>
/// The commands of a regional decision process. Each fires one trigger of the process's pinned workflow definition
/// and then lets the engine settle: automatic item transitions, then the process's completion rule and automatic
/// transitions. The caller persists the aggregate in one transaction.
/// </summary>
public sealed class DecisionWorkflow(IWorkflowDefinitions definitions, WorkflowEngine<ProcessContext> engine)
{
    public const string DefaultDefinitionId = "synchronized-college-decision";
    public const int MaxTitleLength = 300;
    public const int MaxReferenceLength = 50;
    public const int MaxTextLength = 100_000;

    public WorkflowEngine<ProcessContext> Engine { get; } = engine;

    public WorkflowDefinition DefinitionOf(DecisionProcess process) => definitions.Find(process.DefinitionId, process.DefinitionVersion);

    public (DecisionProcess Process, CommandResult Result) Start(StartProcess command, Region region, Actor actor, DateTimeOffset now)
    {
        if (actor.Role != Role.Coordinator)
            throw DomainException.Forbidden("role-not-allowed", $"The role {actor.Role} may not start a process.");
        Validate(command, region, now);
        var definition = definitions.Latest(command.DefinitionId ?? DefaultDefinitionId);
        var process = new DecisionProcess(Guid.CreateVersion7(now), definition.DefinitionId, definition.Version, region.Code, command.Title.Trim(),
            command.Reference.Trim(), command.Deadline, command.SynchronizationWindowStart, definition.Process.InitialState, now, actor.UserId);
        process.AddConcept(TextComparison.Normalize(command.ConceptText), NullIfBlank(command.DocumentUrl), null, now, actor.UserId);
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
        foreach (var code in command.Participants.Distinct(StringComparer.Ordinal))
            process.AddItem(new AgendaItem(process.Id, code, definition.Item.InitialState));
        var changes = new List<StateChange> { new(MachineKind.Process, null, "Start", "", process.State) };
        changes.AddRange(Settle(definition, new ProcessContext(process, actor, now)));
        return (process, new CommandResult(changes, []));
    }

    public CommandResult Schedule(DecisionProcess process, string municipalityCode, Meeting? meeting, Actor actor, DateTimeOffset now) =>
        FireOnItem(process, municipalityCode, "Schedule", actor, now, item => new ProcessContext(process, actor, now) { Item = item, Meeting = meeting });

    public CommandResult RecordDecision(DecisionProcess process, string municipalityCode, DecisionInput decision, Actor actor, DateTimeOffset now) =>
        FireOnItem(process, municipalityCode, decision.Outcome == DecisionOutcome.Deferred ? "Defer" : "Decide", actor, now,
            item => new ProcessContext(process, actor, now) { Item = item, Decision = decision });

    public CommandResult ReviseConcept(DecisionProcess process, string text, string? documentUrl, string? note, Actor actor, DateTimeOffset now)
    {
        if (text?.Length > MaxTextLength)
            throw DomainException.Invalid("text-too-long", $"The concept text may be at most {MaxTextLength} characters.", "text");
        return FireOnProcess(process, "ReviseConcept", new ProcessContext(process, actor, now) { ConceptText = text, DocumentUrl = NullIfBlank(documentUrl), Reason = note });
    }

    public CommandResult ExtendDeadline(DecisionProcess process, Deadline deadline, string? reason, Actor actor, DateTimeOffset now) =>
        FireOnProcess(process, "ExtendDeadline", new ProcessContext(process, actor, now) { NewDeadline = deadline, Reason = reason });

    public CommandResult Publish(DecisionProcess process, DateTimeOffset? at, Actor actor, DateTimeOffset now) =>
        FireOnProcess(process, "Publish", new ProcessContext(process, actor, now) { PublicationAt = at });

    public CommandResult Cancel(DecisionProcess process, string? reason, Actor actor, DateTimeOffset now) =>
        FireOnProcess(process, "Cancel", new ProcessContext(process, actor, now) { Reason = reason });

    /// <summary>
    /// Who may ask, before what is asked is looked at: the actor's role must be allowed to fire the trigger in the
    /// process's definition, and a secretary or college acts only for its own municipality.
    /// </summary>
    public void Authorize(DecisionProcess process, string trigger, Actor actor, string? municipalityCode = null)
    {
        WorkflowPermissions.EnsureRoleMayFire(DefinitionOf(process), municipalityCode is null ? MachineKind.Process : MachineKind.Item, trigger, actor.Role);
        if (municipalityCode is null)
            return;
        process.Item(municipalityCode);
        if (actor.Role is Role.Secretary or Role.College && !actor.ActsFor(municipalityCode))
            throw DomainException.Forbidden("other-municipality", $"You act for {actor.MunicipalityCode ?? "no municipality"}, not for {municipalityCode}.");
    }

    /// <summary>A timer of the definition fires its trigger, as the system.</summary>
    public CommandResult FireTimerTrigger(DecisionProcess process, string? municipalityCode, string trigger, DateTimeOffset now) =>
        municipalityCode is null
            ? FireOnProcess(process, trigger, new ProcessContext(process, Actor.SystemActor, now))
            : FireOnItem(process, municipalityCode, trigger, Actor.SystemActor, now, item => new ProcessContext(process, Actor.SystemActor, now) { Item = item });

    /// <summary>The triggers the actor could fire on the process or on one item right now: what the UI offers.</summary>
    public IReadOnlyList<string> PermittedTriggers(DecisionProcess process, string? municipalityCode, Actor actor, DateTimeOffset now)
    {
        var definition = DefinitionOf(process);
        if (municipalityCode is null)
            return Engine.PermittedTriggers(definition, MachineKind.Process, process.State, actor.Role, new ProcessContext(process, actor, now));
        var item = process.Item(municipalityCode);
        return Engine.PermittedTriggers(definition, MachineKind.Item, item.State, actor.Role, new ProcessContext(process, actor, now) { Item = item });
    }

    private CommandResult FireOnItem(DecisionProcess process, string municipalityCode, string trigger, Actor actor, DateTimeOffset now, Func<AgendaItem, ProcessContext> context)
    {
        var definition = DefinitionOf(process);
        if (definition.Process.IsFinal(process.State))
            throw DomainException.Conflict("process-closed", $"The process is {process.State}; its agenda items can no longer change.");
        var item = process.Item(municipalityCode);
        var ctx = context(item);
        var changes = new List<StateChange>
        {
            Engine.Fire(definition, MachineKind.Item, ItemState(item), trigger, actor.Role, ctx, item.MunicipalityCode),
        };
        changes.AddRange(Settle(definition, ctx));
        process.Touch(now);
        return new CommandResult(changes, ctx.Warnings, ctx.Decision?.Reason ?? ctx.Reason);
    }

    private CommandResult FireOnProcess(DecisionProcess process, string trigger, ProcessContext ctx)
    {
        var definition = DefinitionOf(process);
        var changes = new List<StateChange>
        {
            Engine.Fire(definition, MachineKind.Process, ProcessState(process), trigger, ctx.Actor.Role, ctx),
        };
        changes.AddRange(Settle(definition, ctx));
        process.Touch(ctx.Now);
        return new CommandResult(changes, ctx.Warnings, ctx.Reason);
    }

    private List<StateChange> Settle(WorkflowDefinition definition, ProcessContext ctx)
    {
        var changes = new List<StateChange>();
        if (definition.Process.IsFinal(ctx.Process.State))
            return changes;
        foreach (var item in ctx.Process.Items)
        {
            var itemContext = new ProcessContext(ctx.Process, ctx.Actor, ctx.Now) { Item = item };
            changes.AddRange(Engine.Settle(definition, MachineKind.Item, ItemState(item), itemContext, item.MunicipalityCode));
        }
        changes.AddRange(Engine.Settle(definition, MachineKind.Process, ProcessState(ctx.Process), ctx));
        return changes;
    }

    private static StateAccessor ItemState(AgendaItem item) => new(() => item.State, item.SetState);

    private static StateAccessor ProcessState(DecisionProcess process) => new(() => process.State, process.SetState);

    private static void Validate(StartProcess command, Region region, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(command.Title))
            throw DomainException.Invalid("title-required", "The process needs a title.", "title");
        if (command.Title.Length > MaxTitleLength)
            throw DomainException.Invalid("title-too-long", $"The title may be at most {MaxTitleLength} characters.", "title");
        if (string.IsNullOrWhiteSpace(command.Reference))
            throw DomainException.Invalid("reference-required", "The process needs a reference (zaaknummer).", "reference");
        if (command.Reference.Length > MaxReferenceLength)
            throw DomainException.Invalid("reference-too-long", $"The reference may be at most {MaxReferenceLength} characters.", "reference");
        if (string.IsNullOrWhiteSpace(command.ConceptText))
            throw DomainException.Invalid("concept-text-required", "The concept needs a decision text.", "conceptText");
        if (command.ConceptText.Length > MaxTextLength)
            throw DomainException.Invalid("text-too-long", $"The concept text may be at most {MaxTextLength} characters.", "conceptText");
        if (command.Deadline.HasPassed(now))
            throw DomainException.Invalid("deadline-in-past", $"The deadline ({command.Deadline}) has already passed.", "deadline");
        if (command.SynchronizationWindowStart is { } start && start > command.Deadline.LastDay)
            throw DomainException.Invalid("window-after-deadline", "The synchronization window starts after the deadline.", "synchronizationWindowStart");
        if (command.DocumentUrl is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw DomainException.Invalid("document-url-invalid", "The document link must be an http(s) address.", "documentUrl");
        if (command.Participants.Count == 0)
            throw DomainException.Invalid("participants-required", "Choose at least one participating municipality.", "participants");
        foreach (var code in command.Participants)
        {
            if (!region.Includes(code))
                throw DomainException.Invalid("participant-not-in-region", $"{code} is not a member of the region {region.Name}.", "participants");
        }
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
