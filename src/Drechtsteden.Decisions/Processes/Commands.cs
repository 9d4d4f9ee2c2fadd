using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Drechtsteden.Decisions.Input;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>
/// What a person (or an integration) asks of a regional process. The records are the API's request bodies as well:
/// an endpoint or a page fills one in and hands it to the command pipeline, which validates it against the field
/// limits (<see cref="CommandInput"/>) and runs it as one transaction. <see cref="Command"/> names it in the host's
/// vocabulary; the process's definition says which of its triggers that is.
/// </summary>
public abstract record ProcessCommand
{
    [JsonIgnore]
    public abstract string Command { get; }
}

/// <summary>A command on one college's agenda item; the municipality comes from the address, not the body.</summary>
public abstract record ItemCommand : ProcessCommand
{
    [JsonIgnore]
    public string Municipality { get; init; } = "";
}

/// <summary>A coordinator starts a process: the deadline as a date (end of that day in Amsterdam) or as an instant.</summary>
public sealed record StartProcess(
    [property: StringLength(Limits.Title)] string? Title,
    [property: StringLength(Limits.Reference)] string? Reference,
    [property: StringLength(Limits.Text)] string? ConceptText,
    [property: StringLength(Limits.Url), HttpUrl] string? DocumentUrl,
    DateOnly? DeadlineDate,
    DateTimeOffset? DeadlineAt,
    DateOnly? SynchronizationWindowStart = null,
    string[]? Participants = null,
    [property: StringLength(40)] string? Region = null,
    [property: StringLength(100)] string? DefinitionId = null,
    Dictionary<string, int[]>? TimerOffsets = null,
    [property: StringLength(Limits.Text)] string? CouncilLetter = null)
{
    public const string Command = "start";
}

/// <summary>A secretary puts the item on one of the college's meetings.</summary>
public sealed record ScheduleItem(Guid? MeetingId) : ItemCommand
{
    public override string Command => WorkflowCommands.Schedule;
}

/// <summary>A college records what it decided; a deferral (aangehouden) is the defer command, the rest decide.</summary>
public sealed record RecordDecision(
    DecisionOutcome? Outcome,
    int? ConceptVersion,
    DateOnly? DecidedOn = null,
    [property: StringLength(Limits.Text)] string? Text = null,
    [property: StringLength(Limits.Reason)] string? Reason = null) : ItemCommand
{
    public override string Command => Outcome == DecisionOutcome.Deferred ? WorkflowCommands.Defer : WorkflowCommands.Decide;
}

/// <summary>A new concept version; <paramref name="CouncilLetter"/> (Markdown) replaces the raadsinformatiebrief, or, left out, the previous one stays.</summary>
public sealed record ReviseConcept(
    [property: StringLength(Limits.Text)] string? Text,
    [property: StringLength(Limits.Url), HttpUrl] string? DocumentUrl = null,
    [property: StringLength(Limits.Reason)] string? Note = null,
    [property: StringLength(Limits.Text)] string? CouncilLetter = null) : ProcessCommand
{
    public override string Command => WorkflowCommands.ReviseConcept;
}

/// <summary>The new deadline as a date or as an instant, with the reason.</summary>
public sealed record ExtendDeadline(DateOnly? Date, DateTimeOffset? At, [property: StringLength(Limits.Reason)] string? Reason) : ProcessCommand
{
    public override string Command => WorkflowCommands.ExtendDeadline;
}

/// <summary>Release for publication now (no instant) or at a planned instant.</summary>
public sealed record Publish(DateTimeOffset? At = null) : ProcessCommand
{
    public override string Command => WorkflowCommands.Publish;
}

public sealed record CancelProcess([property: StringLength(Limits.Reason)] string? Reason) : ProcessCommand
{
    public override string Command => WorkflowCommands.Cancel;
}

/// <summary>
/// The coordinator sets the synchronous week: the week (any day of it; stored as its Monday) in which every college is
/// meant to decide. Usually the week the product proposes from the colleges' calendars.
/// </summary>
public sealed record PlanTargetWeek(DateOnly? Week) : ProcessCommand
{
    public override string Command => WorkflowCommands.PlanTargetWeek;
}

/// <summary>
/// A griffier confirms that the raadsinformatiebrief was placed before the council on <paramref name="InformedOn"/>,
/// optionally with a link to it in the municipality's own council information system.
/// </summary>
public sealed record ConfirmCouncil(DateOnly? InformedOn, [property: StringLength(Limits.Url), HttpUrl] string? Link = null) : ItemCommand
{
    public override string Command => WorkflowCommands.ConfirmCouncil;
}
