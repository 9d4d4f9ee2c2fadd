using System.Text;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// A workflow definition in the pages' Dutch: states by their display names, steps by what a person does (or
/// "automatisch"), guards as sentences and roles by their Dutch names — for the diagrams on the process page and the
/// state changes in the audit trail. The code names stay in the definition, the API and the developer's diagram
/// (<c>/api/workflows/…/diagram</c>, drawn by Stateless).
/// </summary>
public static class WorkflowText
{
    private static readonly Dictionary<string, string> Guards = new(StringComparer.Ordinal)
    {
        ["OwnMunicipality"] = "voor de eigen gemeente",
        ["MeetingOfThisCollege"] = "op een vergadering van dit college",
        ["MeetingNotInPast"] = "die nog moet plaatsvinden",
        ["MeetingBeforeDeadline"] = "vóór de termijn",
        ["MeetingHasTakenPlace"] = "als de vergadering is geweest",
        ["DecisionInputComplete"] = "met een volledig ingevuld besluit",
        ["AllItemsIdentical"] = "als alle colleges gelijkluidend besloten",
        ["AllItemsDecided"] = "als alle colleges besloten",
        ["AnyItemDiverged"] = "als een college afwijkend besloot",
        ["NoItemDiverged"] = "als geen college meer afwijkend besloot",
        ["DecidedOnOlderVersion"] = "als er een nieuwe conceptversie is",
        ["DeadlineHasPassed"] = "als de termijn verstreken is",
        ["ReasonGiven"] = "met een reden",
        ["ConceptTextGiven"] = "met een nieuwe concepttekst",
        ["NewDeadlineIsLater"] = "naar een latere datum",
        ["PublicationIsNow"] = "direct",
        ["PublicationIsLater"] = "op een gekozen moment",
        ["PublicationIsDue"] = "als het publicatiemoment bereikt is",
        ["TargetWeekBeforeDeadline"] = "een week vóór de termijn",
        ["EmbargoIsLifted"] = "na de publicatie",
        ["CouncilDateGiven"] = "met de datum waarop de raad de brief kreeg",
        ["AllCouncilsInformed"] = "als alle raden geïnformeerd zijn",
    };

    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        [WorkflowCommands.Schedule] = "agenderen",
        [WorkflowCommands.Decide] = "besluit vastleggen",
        [WorkflowCommands.Defer] = "aanhouden",
        [WorkflowCommands.ReviseConcept] = "concept herzien",
        [WorkflowCommands.ExtendDeadline] = "termijn verlengen",
        [WorkflowCommands.Publish] = "publicatie vrijgeven",
        [WorkflowCommands.Cancel] = "annuleren",
        [WorkflowCommands.PlanTargetWeek] = "synchrone week vaststellen",
        [WorkflowCommands.ConfirmCouncil] = "raad geïnformeerd bevestigen",
    };

    private static readonly Dictionary<string, string> Timers = new(StringComparer.Ordinal)
    {
        ["schedule-reminder"] = "herinnering om te agenderen",
        ["decision-reminder"] = "herinnering om het besluit vast te leggen",
        ["deadline"] = "bewaking van de termijn",
        ["publication"] = "publicatiemoment",
        ["council-reminder"] = "herinnering aan de griffier om de raad te informeren",
        ["view-reminder"] = "herinnering om de zienswijze te agenderen",
        ["term-ends"] = "einde van de termijn",
    };

    /// <summary>The timers the pages have a name for.</summary>
    public static IReadOnlyCollection<string> KnownTimers => Timers.Keys;

    /// <summary>A timer of a definition in words ("herinnering om te agenderen"); an unknown one as "termijnbewaking".</summary>
    public static string Timer(string id) => Timers.GetValueOrDefault(id, "termijnbewaking");

    /// <summary>The guards the pages have a sentence for, for the test that every shipped definition's guards do.</summary>
    public static IReadOnlyCollection<string> KnownGuards => Guards.Keys;

    /// <summary>A guard as a Dutch phrase; an unknown guard (a definition newer than this text) reads as "onder voorwaarde".</summary>
    public static string Guard(string name) => Guards.GetValueOrDefault(name, "onder voorwaarde");

    /// <summary>What a person does to take a step, or how it happens by itself.</summary>
    public static string Step(WorkflowDefinition definition, TransitionDefinition transition)
    {
        if (transition.Automatic || transition.Trigger is null)
            return "automatisch";
        var command = definition.Commands.FirstOrDefault(c => c.Value == transition.Trigger).Key
            ?? WorkflowCommands.All.FirstOrDefault(c => WorkflowCommands.DefaultTrigger(c) == transition.Trigger);
        if (command is not null && Commands.TryGetValue(command, out var name))
            return name;
        return transition.Audit is { } audit ? ActionNames.Dutch(audit).ToLowerInvariant() : "automatisch (termijnbewaking)";
    }

    /// <summary>"concept herzien (regiecoördinator), met een nieuwe concepttekst".</summary>
    public static string Label(WorkflowDefinition definition, TransitionDefinition transition)
    {
        var text = new StringBuilder(Step(definition, transition));
        var roles = transition.Roles.Where(r => r != nameof(Role.System)).Select(r => Enum.TryParse<Role>(r, out var role) ? UiText.Role(role).ToLowerInvariant() : r).ToList();
        if (roles.Count > 0)
            text.Append(" (").Append(string.Join(" of ", roles)).Append(')');
        var guards = transition.Guards.Where(g => g is not ("OwnMunicipality" or "MeetingOfThisCollege")).Select(Guard).ToList();
        if (guards.Count > 0)
            text.Append(", ").Append(string.Join(", ", guards));
        return text.ToString();
    }

    /// <summary>A machine as a Mermaid state diagram in Dutch, with the <paramref name="current"/> states marked.</summary>
    public static string Mermaid(WorkflowDefinition definition, MachineKind kind, IEnumerable<string> current)
    {
        // The diagram of a definition (id@version) never changes: made once per definition and machine, and only the
        // current states' marks appended per view.
        var diagrams = Diagrams.GetValue(definition, _ => new string?[2]);
        var index = kind == MachineKind.Process ? 0 : 1;
        var diagram = diagrams[index] ??= Diagram(definition, kind);
        var text = new StringBuilder(diagram, diagram.Length + 128);
        foreach (var state in current.Distinct(StringComparer.Ordinal))
            text.Append("    class ").Append(state).Append(" current\n");
        return text.ToString();
    }

    /// <summary>The diagrams made so far, per loaded definition (a definition that is unloaded takes its own with it).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WorkflowDefinition, string?[]> Diagrams = [];

    private static string Diagram(WorkflowDefinition definition, MachineKind kind)
    {
        var machine = definition.Machine(kind);
        var text = new StringBuilder("stateDiagram-v2\n");
        foreach (var state in machine.States)
            text.Append("    state \"").Append(Clean(state.DisplayName ?? state.Name)).Append("\" as ").Append(state.Name).Append('\n');
        text.Append("    [*] --> ").Append(machine.InitialState).Append('\n');
        if (kind == MachineKind.Process && definition.Completion is { } completion)
        {
            foreach (var from in completion.From.Where(f => f != completion.State))
                text.Append("    ").Append(from).Append(" --> ").Append(completion.State).Append(" : automatisch, ").Append(Clean(Guard(completion.Rule))).Append('\n');
        }
        foreach (var transition in machine.Transitions)
        {
            foreach (var from in transition.From)
                text.Append("    ").Append(from).Append(" --> ").Append(transition.To ?? from).Append(" : ").Append(Clean(Label(definition, transition))).Append('\n');
        }
        foreach (var state in machine.States.Where(s => s.Final))
            text.Append("    ").Append(state.Name).Append(" --> [*]\n");
        text.Append("    classDef current fill:#fde68a,stroke:#7a4a00,stroke-width:3px,color:#1a1a1a\n");
        return text.ToString();
    }

    /// <summary>
    /// A state change in the audit trail as people read it: "Loopt → Afwijkend (automatisch)". The stored entry keeps
    /// the engine's words; this is how the page shows them.
    /// </summary>
    public static string StateChange(WorkflowDefinition definition, MachineKind kind, string? from, string? to, string? trigger)
    {
        string Name(string? state) => state is null ? "?" : UiText.State(definition, kind, state);
        var how = trigger switch
        {
            null => null,
            _ when trigger.StartsWith("(completion", StringComparison.Ordinal) && definition.Completion is { } c => $"automatisch, {Guard(c.Rule)}",
            _ when trigger.StartsWith('(') => "automatisch",
            _ => definition.Machine(kind).Transitions.FirstOrDefault(t => t.Trigger == trigger) is { } t ? Step(definition, t) : "automatisch",
        };
        return how is null ? $"{Name(from)} → {Name(to)}" : $"{Name(from)} → {Name(to)} ({how})";
    }

    // Mermaid reads ':' ';' '#' and quotes in labels as syntax.
    private static string Clean(string label) => label.Replace(':', ',').Replace(';', ',').Replace('#', ' ').Replace('"', '\'');
}
