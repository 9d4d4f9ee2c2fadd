using Drechtsteden.Decisions.Processes;

namespace Drechtsteden.Decisions.Web.Processes;

/// <param name="Definition">The workflow definition the process is pinned to, as id@version.</param>
public sealed record ProcessSummary(Guid Id, string Title, string Reference, string Region, string Definition, string State, DateTimeOffset Deadline, DateOnly? DeadlineDate,
    int DaysLeft, int Participants, int? Identical, int? Decided);

public sealed record ConceptDto(int Number, string Text, string? DocumentUrl, string? Note, DateTimeOffset CreatedAt);

public sealed record MeetingRef(Guid Id, DateTimeOffset StartsAt);

public sealed record DecisionDto(int Sequence, int ConceptVersion, DecisionOutcome Outcome, string? Text, DateOnly DecidedOn, string? Reason, DateTimeOffset RecordedAt);

/// <param name="PermittedCommands">What the reader may do on this item now (schedule, decide, defer).</param>
public sealed record ItemDto(string Municipality, string State, MeetingRef? Meeting, bool Embargoed, DecisionDto? Decision, bool? Identical,
    IReadOnlyList<DiffSegment>? Diff, bool AtRisk, int DecisionCount, IReadOnlyList<string> PermittedCommands);

/// <param name="PermittedCommands">What the reader may do on the process now (reviseConcept, extendDeadline, publish, cancel).</param>
public sealed record ProcessDto(Guid Id, string Title, string Reference, string Region, string Definition, string State, DateTimeOffset Deadline,
    DateOnly? DeadlineDate, DateOnly? SynchronizationWindowStart, int DaysLeft, DateTimeOffset? PublicationAt, int ConceptVersion,
    IReadOnlyList<ConceptDto> Concepts, IReadOnlyList<ItemDto> Items, IReadOnlyList<string> PermittedCommands, uint Version);
