using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>Everything a guard or an action of the process workflow may look at during one command.</summary>
public sealed class ProcessContext(DecisionProcess process, Actor actor, DateTimeOffset now) : IWorkflowContext
{
    public DecisionProcess Process { get; } = process;

    public Actor Actor { get; } = actor;

    public Role Role => Actor.Role;

    public GuardTrace Trace { get; } = new();

    public DateTimeOffset Now { get; } = now;

    public AgendaItem? Item { get; init; }

    /// <summary>The meeting a secretary named (null when none was named, or when it does not exist: see <see cref="MeetingId"/>).</summary>
    public Meeting? Meeting { get; init; }

    public Guid? MeetingId { get; init; }

    public RecordDecision? Decision { get; init; }

    public string? ConceptText { get; init; }

    public string? DocumentUrl { get; init; }

    /// <summary>The raadsinformatiebrief's body given with a concept revision (null keeps the previous one).</summary>
    public string? CouncilLetter { get; init; }

    /// <summary>The new deadline, or null when none (or an ambiguous one) was given.</summary>
    public Deadline? NewDeadline { get; init; }

    public string? Reason { get; init; }

    public DateTimeOffset? PublicationAt { get; init; }

    /// <summary>A day of the synchronous week the coordinator chose (PlanTargetWeek).</summary>
    public DateOnly? TargetWeek { get; init; }

    /// <summary>The process is in a state in which its decisions are public (its definition says which): set by the workflow for item steps.</summary>
    public bool EmbargoLifted { get; init; }

    /// <summary>The date a griffier says the council was informed on, and the link into the council information system.</summary>
    public DateOnly? CouncilInformedOn { get; init; }

    public string? CouncilLink { get; init; }

    /// <summary>Accepted, but worth telling the user (a meeting outside the synchronization window).</summary>
    public List<string> Warnings { get; } = [];

    public AgendaItem RequiredItem => Item ?? throw new InvalidOperationException("This building block needs an agenda item.");
}
