using System.Text.Json.Serialization;

namespace Drechtsteden.Decisions.Workflows;

/// <summary>
/// A versioned workflow definition as read from <c>workflows/*.workflow.json</c>. Field names follow Elsa's where they
/// mean the same (<c>definitionId</c>, <c>version</c>, <c>name</c>, <c>description</c>). The format is documented in
/// workflows/README.md and checked by workflows/workflow.schema.json.
/// </summary>
public sealed record WorkflowDefinition
{
    public required string DefinitionId { get; init; }

    public required int Version { get; init; }

    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The regional process: one per concept.</summary>
    public required MachineDefinition Process { get; init; }

    /// <summary>The agenda item: one per participating college.</summary>
    public required MachineDefinition Item { get; init; }

    public IReadOnlyList<TimerDefinition> Timers { get; init; } = [];

    public required CompletionDefinition Completion { get; init; }

    /// <summary>Who may start a process on this definition (default: coordinators).</summary>
    public StartDefinition Start { get; init; } = new();

    /// <summary>
    /// Which trigger each command of the host's vocabulary (<see cref="WorkflowCommands"/>) fires: the host asks for
    /// "schedule", the definition says which of its triggers that is. A command left out fires the trigger of the same
    /// name (schedule → Schedule) when the definition has one; the reader fills that in.
    /// </summary>
    public IReadOnlyDictionary<string, string> Commands { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>SHA-256 of the file's bytes, set by the parser; a changed file with an unchanged version is refused.</summary>
    [JsonIgnore]
    public string ContentHash { get; init; } = "";

    /// <summary>The original JSON text, stored with the version so running processes keep their definition.</summary>
    [JsonIgnore]
    public string Json { get; init; } = "";

    public MachineDefinition Machine(MachineKind kind) => kind == MachineKind.Process ? Process : Item;

    /// <summary>The trigger a command fires, or a conflict when this definition has no such step.</summary>
    public string TriggerFor(string command) =>
        Commands.TryGetValue(command, out var trigger)
            ? trigger
            : throw DomainException.Conflict("command-not-supported", $"The workflow '{DefinitionId}' v{Version} has no step '{command}'.");

    /// <summary>The command that fires a trigger of a machine, if any (what the UI offers is named by command).</summary>
    public string? CommandFor(MachineKind kind, string trigger) =>
        Commands.Where(c => c.Value == trigger && WorkflowCommands.MachineOf(c.Key) == kind).Select(c => c.Key).FirstOrDefault();

    /// <summary>True once the process is in a state in which the decisions are public (the embargo is lifted).</summary>
    public bool IsEmbargoLifted(string processState) => Process.State(processState)?.EmbargoLifted ?? false;

    /// <summary>The process state as someone under the embargo may see it: a state that reveals decisions reads as the initial one.</summary>
    public string EmbargoedProcessState(string processState) =>
        Process.State(processState)?.RevealsDecisions == true ? Process.InitialState : processState;
}

/// <summary>Who may start a process on a definition.</summary>
public sealed record StartDefinition
{
    public IReadOnlyList<string> Roles { get; init; } = [nameof(Role.Coordinator)];
}

/// <summary>
/// The host's vocabulary for what people ask of a process: its API endpoints and pages speak these names, and each
/// definition maps them to its own triggers (<see cref="WorkflowDefinition.Commands"/>).
/// </summary>
public static class WorkflowCommands
{
    public const string Schedule = "schedule";
    public const string Decide = "decide";
    public const string Defer = "defer";
    public const string ReviseConcept = "reviseConcept";
    public const string ExtendDeadline = "extendDeadline";
    public const string Publish = "publish";
    public const string Cancel = "cancel";
    public const string PlanTargetWeek = "planTargetWeek";
    public const string ConfirmCouncil = "confirmCouncil";

    public static readonly IReadOnlyList<string> All = [Schedule, Decide, Defer, ReviseConcept, ExtendDeadline, Publish, Cancel, PlanTargetWeek, ConfirmCouncil];

    /// <summary>Item commands act on one college's agenda item; the others on the process.</summary>
    public static MachineKind MachineOf(string command) => command is Schedule or Decide or Defer or ConfirmCouncil ? MachineKind.Item : MachineKind.Process;

    /// <summary>The trigger a command fires when a definition does not say: its own name, capitalized.</summary>
    public static string DefaultTrigger(string command) => char.ToUpperInvariant(command[0]) + command[1..];
}

public enum MachineKind
{
    Process,
    Item,
}

public sealed record MachineDefinition
{
    public required string InitialState { get; init; }

    public required IReadOnlyList<StateDefinition> States { get; init; }

    public required IReadOnlyList<TransitionDefinition> Transitions { get; init; }

    public StateDefinition? State(string name) => States.FirstOrDefault(s => s.Name == name);

    public bool IsFinal(string state) => State(state)?.Final ?? false;
}

public sealed record StateDefinition
{
    public required string Name { get; init; }

    /// <summary>What the Dutch UI shows.</summary>
    public string? DisplayName { get; init; }

    /// <summary>How the pages colour the state: ok, warn or bad (none: neutral).</summary>
    public string? Tone { get; init; }

    public string? Description { get; init; }

    public bool Final { get; init; }

    /// <summary>In this state the decisions are public: the embargo before publication no longer applies.</summary>
    public bool EmbargoLifted { get; init; }

    /// <summary>
    /// The state tells what the colleges decided (identically or not). Under the embargo a secretary or college of
    /// another municipality sees the machine's initial state instead.
    /// </summary>
    public bool RevealsDecisions { get; init; }

    /// <summary>Who is told when the machine enters this state (e.g. every college's secretary when a process is published).</summary>
    public IReadOnlyList<StateNotification> Notify { get; init; } = [];
}

/// <summary>
/// A message sent when a state is entered: a notification template named in code, to the recipient role, once for the
/// process or once per agenda item (the role of that item's municipality).
/// </summary>
public sealed record StateNotification
{
    public required string Notification { get; init; }

    public required Role Recipient { get; init; }

    public MachineKind Scope { get; init; } = MachineKind.Process;
}

/// <summary>
/// A transition. A named trigger is fired by a command of one of <see cref="Roles"/>; an automatic one (no trigger)
/// is taken by the engine after every command as soon as its guards hold. Without <see cref="To"/> the state stays.
/// </summary>
public sealed record TransitionDefinition
{
    public string? Trigger { get; init; }

    public bool Automatic { get; init; }

    public required IReadOnlyList<string> From { get; init; }

    public string? To { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];

    public IReadOnlyList<string> Guards { get; init; } = [];

    public IReadOnlyList<string> Actions { get; init; } = [];

    /// <summary>The audit trail's name for this step (e.g. decision.recorded); the reader fills in a default.</summary>
    public string? Audit { get; init; }

    public string? Description { get; init; }

    public string TargetFrom(string from) => To ?? from;
}

/// <summary>The rule that says the process is complete, and the state it then takes.</summary>
public sealed record CompletionDefinition
{
    /// <summary>A named guard over the process, e.g. AllItemsIdentical.</summary>
    public required string Rule { get; init; }

    public required string State { get; init; }

    /// <summary>States from which completion is checked after every command.</summary>
    public required IReadOnlyList<string> From { get; init; }
}

/// <summary>
/// A timer: due at an anchor instant (the deadline, the item's meeting, …) plus offsets in days, optionally at a
/// time of day in Amsterdam and moved to a working day. It applies only while the process and item are in the listed
/// states; when it fires it either fires a trigger or notifies the recipient role.
/// </summary>
public sealed record TimerDefinition
{
    public required string Id { get; init; }

    public required MachineKind Scope { get; init; }

    /// <summary>A named anchor: deadline, meeting, publication.</summary>
    public required string RelativeTo { get; init; }

    /// <summary>Days before (negative) or after (positive) the anchor; one timer instance per offset.</summary>
    public IReadOnlyList<int> OffsetDays { get; init; } = [0];

    /// <summary>Local time in Amsterdam; without it the timer is due at the anchor's exact instant plus the offset.</summary>
    public TimeOnly? TimeOfDay { get; init; }

    public Time.WorkingDayRule WorkingDays { get; init; } = Time.WorkingDayRule.None;

    /// <summary>Who is told: a role, or none for a timer that only fires a trigger.</summary>
    public Role? Recipient { get; init; }

    public TimerStates ActiveIn { get; init; } = new();

    /// <summary>A trigger (on the timer's scope machine) fired when the timer is due.</summary>
    public string? Trigger { get; init; }

    /// <summary>A message template named in code, e.g. schedule-reminder.</summary>
    public string? Notification { get; init; }

    public string? Description { get; init; }
}

public sealed record TimerStates
{
    public IReadOnlyList<string> Process { get; init; } = [];

    public IReadOnlyList<string> Item { get; init; } = [];
}
