using Stateless;
using Stateless.Graph;

namespace Drechtsteden.Decisions.Workflows;

/// <summary>Reads and writes the state of one machine instance, kept in an EF-mapped property of the entity.</summary>
public sealed record StateAccessor(Func<string> Get, Action<string> Set);

/// <summary>A state change the engine made: what the audit trail and the timers react to.</summary>
public sealed record StateChange(MachineKind Machine, string? Subject, string Trigger, string From, string To);

/// <summary>
/// Runs workflow definitions on the Stateless library. A definition's transition table becomes a Stateless machine
/// whose state lives in the entity (external state storage); the engine adds what Stateless leaves to its user:
/// roles, reasons why a guard said no, named actions, automatic transitions and the completion rule.
/// The engine is generic: it knows the domain only through <see cref="WorkflowBlocks{TContext}"/>.
/// </summary>
public sealed class WorkflowEngine<TContext>(WorkflowBlocks<TContext> blocks)
{
    private const int MaxAutomaticSteps = 16;

    public WorkflowBlocks<TContext> Blocks { get; } = blocks;

    /// <summary>
    /// Fires a named trigger. Throws <see cref="DomainException"/> when the trigger does not apply in the current
    /// state (Conflict), the role may not fire it (Forbidden), or a guard says no (the guard's reason).
    /// </summary>
    public StateChange Fire(WorkflowDefinition definition, MachineKind kind, StateAccessor state, string trigger, Role role, TContext context, string? subject = null)
    {
        var machineDefinition = definition.Machine(kind);
        var current = state.Get();
        WorkflowPermissions.EnsureRoleMayFire(definition, kind, trigger, role);
        var allowed = machineDefinition.Transitions
            .Where(t => !t.Automatic && t.Trigger == trigger && t.From.Contains(current) && t.Roles.Contains(role.ToString()))
            .ToList();
        if (allowed.Count == 0)
            throw DomainException.Conflict("not-allowed-in-state", $"{trigger} is not possible while the {Describe(kind)} is {DisplayName(machineDefinition, current)}.");

        GuardFailure? firstFailure = null;
        var passing = new List<TransitionDefinition>();
        foreach (var transition in allowed)
        {
            var failure = FirstFailure(transition.Guards, context);
            if (failure is null)
                passing.Add(transition);
            else
                firstFailure ??= failure;
        }
        if (passing.Count == 0)
            throw new DomainException(firstFailure!.Kind, firstFailure.Code, firstFailure.Message);
        if (passing.Count > 1)
            throw new InvalidOperationException($"Workflow '{definition.DefinitionId}' v{definition.Version}: {passing.Count} transitions for {trigger} from {current} hold at once; their guards must exclude each other.");

        var chosen = passing[0];
        var machine = StatelessMachine.Build(machineDefinition, state, t => ReferenceEquals(t, chosen) || (t.Trigger == chosen.Trigger && FirstFailure(t.Guards, context) is null));
        machine.Fire(trigger);
        foreach (var action in chosen.Actions)
            Blocks.Run(action, context);
        return new StateChange(kind, subject, trigger, current, state.Get());
    }

    /// <summary>
    /// Takes automatic transitions (and, for the process, the completion rule) until none applies. Called after every
    /// command, for every item and then for the process.
    /// </summary>
    public IReadOnlyList<StateChange> Settle(WorkflowDefinition definition, MachineKind kind, StateAccessor state, TContext context, string? subject = null)
    {
        var changes = new List<StateChange>();
        var machineDefinition = definition.Machine(kind);
        for (var step = 0; step < MaxAutomaticSteps; step++)
        {
            var current = state.Get();
            var next = NextAutomatic(definition, kind, current, context);
            if (next is null)
                return changes;
            var (trigger, transition) = next.Value;
            var machine = StatelessMachine.Build(machineDefinition, state, t => ReferenceEquals(t, transition), kind == MachineKind.Process ? (definition.Completion, trigger == StatelessMachine.CompletionTrigger) : null);
            machine.Fire(trigger);
            if (transition is not null)
            {
                foreach (var action in transition.Actions)
                    Blocks.Run(action, context);
            }
            changes.Add(new StateChange(kind, subject, trigger, current, state.Get()));
        }
        throw new InvalidOperationException($"Workflow '{definition.DefinitionId}' v{definition.Version}: automatic transitions of the {Describe(kind)} do not come to rest.");
    }

    /// <summary>
    /// The triggers a role could fire now: what the UI offers. Guards that only check the input still to be given
    /// (failures of kind Invalid) do not hide a trigger.
    /// </summary>
    public IReadOnlyList<string> PermittedTriggers(WorkflowDefinition definition, MachineKind kind, string current, Role role, TContext context) =>
        definition.Machine(kind).Transitions
            .Where(t => !t.Automatic && t.Trigger is not null && t.From.Contains(current) && t.Roles.Contains(role.ToString())
                && t.Guards.All(g => Blocks.Check(g, context) is not { } failure || failure.Kind == DomainErrorKind.Invalid))
            .Select(t => t.Trigger!)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private (string Trigger, TransitionDefinition? Transition)? NextAutomatic(WorkflowDefinition definition, MachineKind kind, string current, TContext context)
    {
        if (kind == MachineKind.Process && definition.Completion.From.Contains(current) && current != definition.Completion.State
            && Blocks.Check(definition.Completion.Rule, context) is null)
        {
            return (StatelessMachine.CompletionTrigger, null);
        }
        var transitions = definition.Machine(kind).Transitions;
        for (var i = 0; i < transitions.Count; i++)
        {
            var t = transitions[i];
            if (t.Automatic && t.From.Contains(current) && t.TargetFrom(current) != current && FirstFailure(t.Guards, context) is null)
                return (StatelessMachine.AutomaticTrigger(i), t);
        }
        return null;
    }

    private GuardFailure? FirstFailure(IEnumerable<string> guards, TContext context)
    {
        foreach (var guard in guards)
        {
            if (Blocks.Check(guard, context) is { } failure)
                return failure;
        }
        return null;
    }

    private static string Describe(MachineKind kind) => kind == MachineKind.Process ? "process" : "agenda item";

    private static string DisplayName(MachineDefinition definition, string state) => definition.State(state)?.Name ?? state;
}

/// <summary>Turns a definition machine into a Stateless state machine; shared by the engine and the diagrams.</summary>
internal static class StatelessMachine
{
    public const string CompletionTrigger = "(completion)";

    /// <summary>
    /// The Stateless machine for one definition machine. <paramref name="holds"/> decides each transition's guard;
    /// the guard description names the definition's guards, so the diagram shows them.
    /// </summary>
    public static StateMachine<string, string> Build(
        MachineDefinition definition, StateAccessor state, Func<TransitionDefinition, bool> holds, (CompletionDefinition Rule, bool Holds)? completion = null)
    {
        var machine = new StateMachine<string, string>(state.Get, state.Set);
        foreach (var s in definition.States)
            machine.Configure(s.Name);
        for (var i = 0; i < definition.Transitions.Count; i++)
        {
            var transition = definition.Transitions[i];
            var trigger = transition.Automatic ? AutomaticTrigger(i) : transition.Trigger!;
            var description = transition.Guards.Count == 0 ? (transition.Automatic ? "automatic" : "") : string.Join(" & ", transition.Guards);
            foreach (var from in transition.From)
            {
                var configuration = machine.Configure(from);
                if (transition.To is null)
                    configuration.InternalTransitionIf(trigger, _ => holds(transition), _ => { }, description);
                else if (transition.To == from)
                    configuration.PermitReentryIf(trigger, () => holds(transition), description);
                else
                    configuration.PermitIf(trigger, transition.To, () => holds(transition), description);
            }
        }
        if (completion is { } c)
        {
            foreach (var from in c.Rule.From.Where(f => f != c.Rule.State))
                machine.Configure(from).PermitIf(CompletionTrigger, c.Rule.State, () => c.Holds, c.Rule.Rule);
        }
        return machine;
    }

    public static string AutomaticTrigger(int index) => $"(automatic {index + 1})";
}

/// <summary>Mermaid diagrams of stored definitions, generated by Stateless from the same transition table the engine runs.</summary>
public static class WorkflowDiagram
{
    public static string Mermaid(WorkflowDefinition definition, MachineKind kind)
    {
        var machineDefinition = definition.Machine(kind);
        var state = machineDefinition.InitialState;
        var machine = StatelessMachine.Build(machineDefinition, new StateAccessor(() => state, s => state = s), _ => false, kind == MachineKind.Process ? (definition.Completion, false) : null);
        return MermaidGraph.Format(machine.GetInfo());
    }
}

/// <summary>Who may fire what, from the definition alone.</summary>
public static class WorkflowPermissions
{
    /// <summary>
    /// The role check comes first, whatever the state: a role that may never fire this trigger is told so (403), not
    /// that the moment is wrong.
    /// </summary>
    public static void EnsureRoleMayFire(WorkflowDefinition definition, MachineKind kind, string trigger, Role role)
    {
        var transitions = definition.Machine(kind).Transitions.Where(t => !t.Automatic && t.Trigger == trigger).ToList();
        if (transitions.Count == 0)
            throw DomainException.Conflict("unknown-trigger", $"The workflow '{definition.DefinitionId}' v{definition.Version} has no trigger {trigger}.");
        if (!transitions.Any(t => t.Roles.Contains(role.ToString())))
            throw DomainException.Forbidden("role-not-allowed", $"The role {role} may not do {trigger}.");
    }

}
