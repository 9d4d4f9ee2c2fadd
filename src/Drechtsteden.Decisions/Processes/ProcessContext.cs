using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Processes;

/// <summary>What a college says it decided.</summary>
public sealed record DecisionInput(DecisionOutcome Outcome, int ConceptVersion, DateOnly? DecidedOn = null, string? Text = null, string? Reason = null);

/// <summary>Everything a guard or an action of the process workflow may look at during one command.</summary>
public sealed class ProcessContext(DecisionProcess process, Actor actor, DateTimeOffset now)
{
    public DecisionProcess Process { get; } = process;

    public Actor Actor { get; } = actor;

    public DateTimeOffset Now { get; } = now;

    public AgendaItem? Item { get; init; }

    public Meeting? Meeting { get; init; }

    public DecisionInput? Decision { get; init; }

    public string? ConceptText { get; init; }

    public string? DocumentUrl { get; init; }

    public Deadline? NewDeadline { get; init; }

    public string? Reason { get; init; }

    public DateTimeOffset? PublicationAt { get; init; }

    /// <summary>Accepted, but worth telling the user (a meeting outside the synchronization window).</summary>
    public List<string> Warnings { get; } = [];

    public AgendaItem RequiredItem => Item ?? throw new InvalidOperationException("This building block needs an agenda item.");
}
