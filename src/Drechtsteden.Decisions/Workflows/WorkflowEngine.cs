using System.Runtime.CompilerServices;
using Stateless;
using Stateless.Graph;

namespace Drechtsteden.Decisions.Workflows;

/// <summary>Reads and writes the state of one machine instance, kept in an EF-mapped property of the entity.</summary>
public sealed record StateAccessor(Func<string> Get, Action<string> Set);

/// <summary>A state change the engine made: what the audit trail, the notifications and the timers react to.</summary>
/// <param name="Audit">The audit name of the step a command took (from the definition); null for the engine's own steps.</param>
public sealed record StateChange(MachineKind Machine, string? Subject, string Trigger, string From, string To, string? Audit = null);

/// <summary>What a guard or an action may look at, as far as the engine is concerned: who acts, and the engine's notes.</summary>
public interface IWorkflowContext
{
    Role Role { get; }

    GuardTrace Trace { get; }
}

/// <summary>
/// The engine's notes while Stateless evaluates guards for one firing: why guards said no (the first reason goes to
/// the user), which transition's guards all held (its actions run), and whether the engine is only asking what could
/// be offered (then guards that merely check input still to be given do not hide a trigger).
/// </summary>
public sealed class GuardTrace
{
    public bool Probing { get; internal set; }

    internal List<GuardFailure> Failures { get; } = [];

    internal TransitionDefinition? Chosen { get; set; }

    internal void Reset(bool probing)
    {
        Probing = probing;
        Failures.Clear();
        Chosen = null;
    }
}

/// <summary>
/// Runs workflow definitions on the Stateless library. Each definition's two machines are built once (on first use)
/// as Stateless machines whose guards are the definition's named guards (<c>PermitIf</c> with the command's context
/// as the trigger's parameter); the state itself stays in the entity (external state storage). Stateless decides
/// which transition a trigger takes and what may be fired now (<c>GetPermittedTriggers</c>); the engine adds what
/// Stateless leaves to its user: roles, the reason a guard said no, named actions, automatic transitions and the
/// completion rule. The engine is generic: it knows the domain only through <see cref="WorkflowBlocks{TContext}"/>.
/// </summary>
public sealed class WorkflowEngine<TContext>(WorkflowBlocks<TContext> blocks) where TContext : IWorkflowContext
{
    private const int MaxAutomaticSteps = 16;
    private readonly ConditionalWeakTable<WorkflowDefinition, CompiledWorkflow<TContext>> _compiled = [];

    public WorkflowBlocks<TContext> Blocks { get; } = blocks;

    private CompiledMachine<TContext> Machine(WorkflowDefinition definition, MachineKind kind) =>
        _compiled.GetValue(definition, d => new CompiledWorkflow<TContext>(d, Blocks)).Machine(kind);

    /// <summary>
    /// Fires a named trigger. Throws <see cref="DomainException"/> when the role may never fire it (Forbidden), the
    /// trigger does not apply in the current state (Conflict), or a guard says no (the guard's reason).
    /// </summary>
    public StateChange Fire(WorkflowDefinition definition, MachineKind kind, StateAccessor state, string trigger, TContext context, string? subject = null)
    {
        WorkflowPermissions.EnsureRoleMayFire(definition, kind, trigger, context.Role);
        var from = state.Get();
        var machine = Machine(definition, kind);
        var chosen = machine.Fire(state, trigger, context) ?? throw Refusal(machine, context, kind, trigger, from);
        foreach (var action in chosen.Actions)
            Blocks.Run(action, context);
        return new StateChange(kind, subject, trigger, from, state.Get(), chosen.Audit);
    }

    /// <summary>
    /// Takes the completion rule (process only) and then automatic transitions, in the definition's order, until none
    /// applies. Called after every command, for every item and then for the process.
    /// </summary>
    public IReadOnlyList<StateChange> Settle(WorkflowDefinition definition, MachineKind kind, StateAccessor state, TContext context, string? subject = null)
    {
        var machine = Machine(definition, kind);
        var changes = new List<StateChange>();
        for (var step = 0; step < MaxAutomaticSteps; step++)
        {
            var from = state.Get();
            var taken = machine.FireFirstAutomatic(state, context);
            if (taken is null)
                return changes;
            foreach (var action in taken.Value.Transition?.Actions ?? [])
                Blocks.Run(action, context);
            changes.Add(new StateChange(kind, subject, taken.Value.Trigger, from, state.Get()));
        }
        throw new InvalidOperationException($"Workflow '{definition.DefinitionId}' v{definition.Version}: automatic transitions of the {Describe(kind)} do not come to rest.");
    }

    /// <summary>
    /// The triggers the context's role could fire now, as Stateless reports them: what the UI offers. Guards that only
    /// check the input still to be given (failures of kind Invalid) do not hide a trigger.
    /// </summary>
    public IReadOnlyList<string> PermittedTriggers(WorkflowDefinition definition, MachineKind kind, StateAccessor state, TContext context) =>
        Machine(definition, kind).PermittedTriggers(state, context);

    /// <summary>The Mermaid diagram of a machine, drawn by Stateless from the same configuration the engine fires.</summary>
    public string Diagram(WorkflowDefinition definition, MachineKind kind) => Machine(definition, kind).Diagram();

    /// <summary>
    /// Why a trigger was refused. Who may act comes before when: a guard that refuses the actor (another municipality's
    /// item, say) answers, whatever the state; then the first guard's reason; then — when no transition leaves this
    /// state on this trigger — that the moment is wrong.
    /// </summary>
    private static DomainException Refusal(CompiledMachine<TContext> machine, TContext context, MachineKind kind, string trigger, string from)
    {
        var failure = context.Trace.Failures.FirstOrDefault(f => f.Kind == DomainErrorKind.Forbidden)
            ?? machine.RefusesActor(trigger, context)
            ?? context.Trace.Failures.FirstOrDefault();
        return failure is not null
            ? new DomainException(failure.Kind, failure.Code, failure.Message, failure.Field)
            : DomainException.Conflict("not-allowed-in-state", $"{trigger} is not possible while the {Describe(kind)} is {from}.");
    }

    private static string Describe(MachineKind kind) => kind == MachineKind.Process ? "process" : "agenda item";
}

/// <summary>A definition's two machines, built once.</summary>
internal sealed class CompiledWorkflow<TContext>(WorkflowDefinition definition, WorkflowBlocks<TContext> blocks) where TContext : IWorkflowContext
{
    private readonly CompiledMachine<TContext> _process = new(definition.Process, definition.Completion, blocks);
    private readonly CompiledMachine<TContext> _item = new(definition.Item, null, blocks);

    public CompiledMachine<TContext> Machine(MachineKind kind) => kind == MachineKind.Process ? _process : _item;
}

/// <summary>
/// One definition machine as a Stateless state machine, configured once and shared by every instance. Stateless
/// reads and writes the state through an accessor; since the machine is shared, the accessor of the instance being
/// fired is handed over per call in an async-local slot, which flows into any task Stateless starts and is private to
/// the caller (in immediate firing mode a configured Stateless machine keeps no other state of its own).
/// </summary>
internal sealed class CompiledMachine<TContext> where TContext : IWorkflowContext
{
    public const string CompletionTrigger = "(completion)";

    private static readonly AsyncLocal<StateAccessor?> Current = new();

    private readonly StateMachine<string, string> _machine;
    private readonly Dictionary<string, StateMachine<string, string>.TriggerWithParameters<TContext>> _triggers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransitionDefinition?> _automatic = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _automaticFrom = new(StringComparer.Ordinal);
    private readonly string _initialState;
    private readonly WorkflowBlocks<TContext> _blocks;
    private readonly IReadOnlyList<TransitionDefinition> _transitions;

    public CompiledMachine(MachineDefinition definition, CompletionDefinition? completion, WorkflowBlocks<TContext> blocks)
    {
        _blocks = blocks;
        _transitions = definition.Transitions;
        _initialState = definition.InitialState;
        // Stateless reads the state while it is being constructed: an instance in the initial state stands in.
        var initial = definition.InitialState;
        _machine = On(new StateAccessor(() => initial, _ => { }),
            () => new StateMachine<string, string>(() => Instance.Get(), s => Instance.Set(s), FiringMode.Immediate));
        foreach (var s in definition.States)
        {
            _machine.Configure(s.Name);
            _automaticFrom[s.Name] = [];
        }
        if (completion is not null)
        {
            var trigger = Trigger(CompletionTrigger);
            _automatic[CompletionTrigger] = null;
            foreach (var from in completion.From.Where(f => f != completion.State))
            {
                _machine.Configure(from).PermitIf(trigger, completion.State, c => Holds([completion.Rule], c), completion.Rule);
                _automaticFrom[from].Add(CompletionTrigger);
            }
        }
        for (var i = 0; i < definition.Transitions.Count; i++)
        {
            var transition = definition.Transitions[i];
            var name = transition.Automatic ? $"(automatic {i + 1})" : transition.Trigger!;
            var trigger = Trigger(name);
            var description = transition.Guards.Count == 0 ? (transition.Automatic ? "automatic" : "") : string.Join(" & ", transition.Guards);
            if (transition.Automatic)
                _automatic[name] = transition;
            foreach (var from in transition.From)
            {
                var configuration = _machine.Configure(from);
                Func<TContext, bool> guard = c => Permits(transition, c);
                if (transition.To is null)
                    configuration.InternalTransitionIf(trigger, guard, (_, _) => { }, description);
                else if (transition.To == from)
                    configuration.PermitReentryIf(trigger, guard, description);
                else
                    configuration.PermitIf(trigger, transition.To, guard, description);
                // An automatic transition onto the state it leaves would never come to rest: it is only a re-entry guard.
                if (transition.Automatic && transition.TargetFrom(from) != from)
                    _automaticFrom[from].Add(name);
            }
        }
        _machine.OnUnhandledTrigger((_, _, _) => { });
    }

    private static StateAccessor Instance => Current.Value ?? throw new InvalidOperationException("A shared workflow machine is used only inside a call that names its instance.");

    /// <summary>Fires a trigger on an instance; the transition taken, or null when none applies (the trace says why).</summary>
    public TransitionDefinition? Fire(StateAccessor state, string trigger, TContext context)
    {
        if (!_triggers.TryGetValue(trigger, out var parameterized))
            return null;
        return On(state, () =>
        {
            context.Trace.Reset(probing: false);
            _machine.Fire(parameterized, context);
            return context.Trace.Chosen;
        });
    }

    /// <summary>
    /// A guard that refuses the actor as such (kind Forbidden) on any transition of the trigger the actor's role may
    /// take, from whatever state: what a refusal reports before it says that the moment is wrong.
    /// </summary>
    public GuardFailure? RefusesActor(string trigger, TContext context)
    {
        foreach (var transition in _transitions.Where(t => t.Trigger == trigger && t.Roles.Contains(context.Role.ToString())))
        {
            foreach (var guard in transition.Guards)
            {
                if (_blocks.Check(guard, context) is { Kind: DomainErrorKind.Forbidden } failure)
                    return failure;
            }
        }
        return null;
    }

    /// <summary>The completion rule, else the first automatic transition whose guards hold, fired; null when at rest.</summary>
    public (string Trigger, TransitionDefinition? Transition)? FireFirstAutomatic(StateAccessor state, TContext context) => On(state, () =>
    {
        foreach (var name in _automaticFrom.GetValueOrDefault(state.Get()) ?? [])
        {
            context.Trace.Reset(probing: false);
            if (!_machine.CanFire(_triggers[name], context))
                continue;
            _machine.Fire(_triggers[name], context);
            return ((string Trigger, TransitionDefinition? Transition)?)(name, _automatic[name]);
        }
        return null;
    });

    public IReadOnlyList<string> PermittedTriggers(StateAccessor state, TContext context) => On(state, () =>
    {
        context.Trace.Reset(probing: true);
        try
        {
            // Every guard is synchronous, so the task is complete when it returns.
            var permitted = _machine.GetPermittedTriggersAsync(context).GetAwaiter().GetResult();
            return (IReadOnlyList<string>)permitted.Where(t => !_automatic.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        }
        finally
        {
            context.Trace.Reset(probing: false);
        }
    });

    public string Diagram()
    {
        var state = _initialState;
        return On(new StateAccessor(() => state, s => state = s), () => MermaidGraph.Format(_machine.GetInfo()));
    }

    private static T On<T>(StateAccessor state, Func<T> work)
    {
        var outer = Current.Value;
        Current.Value = state;
        try
        {
            return work();
        }
        finally
        {
            Current.Value = outer;
        }
    }

    private StateMachine<string, string>.TriggerWithParameters<TContext> Trigger(string name)
    {
        if (!_triggers.TryGetValue(name, out var trigger))
            _triggers[name] = trigger = _machine.SetTriggerParameters<TContext>(name);
        return trigger;
    }

    /// <summary>A transition's guard as Stateless calls it: the role first, then the definition's guards in order.</summary>
    private bool Permits(TransitionDefinition transition, TContext context)
    {
        if (!transition.Automatic && !transition.Roles.Contains(context.Role.ToString()))
        {
            context.Trace.Failures.Add(new GuardFailure("role-not-allowed", $"The role {context.Role} may not do {transition.Trigger} here.", DomainErrorKind.Forbidden));
            return false;
        }
        if (!Holds(transition.Guards, context))
            return false;
        if (!context.Trace.Probing)
            context.Trace.Chosen = transition;
        return true;
    }

    private bool Holds(IEnumerable<string> guards, TContext context)
    {
        foreach (var guard in guards)
        {
            if (_blocks.Check(guard, context) is not { } failure)
                continue;
            if (context.Trace.Probing && failure.Kind is DomainErrorKind.Invalid or DomainErrorKind.BadInput)
                continue;
            context.Trace.Failures.Add(failure);
            return false;
        }
        return true;
    }
}

/// <summary>Mermaid diagrams of stored definitions, generated by Stateless from the same machines the engine fires.</summary>
public static class WorkflowDiagram
{
    private static readonly WorkflowEngine<DiagramContext> Engine = new(new WorkflowBlocks<DiagramContext>());

    public static string Mermaid(WorkflowDefinition definition, MachineKind kind) => Engine.Diagram(definition, kind);

    private sealed class DiagramContext : IWorkflowContext
    {
        public Role Role => Role.System;

        public GuardTrace Trace { get; } = new();
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

    /// <summary>Whether a role may start a process on this definition.</summary>
    public static void EnsureRoleMayStart(WorkflowDefinition definition, Role role)
    {
        if (!definition.Start.Roles.Contains(role.ToString()))
            throw DomainException.Forbidden("role-not-allowed", $"The role {role} may not start a process on '{definition.DefinitionId}'.");
    }
}
