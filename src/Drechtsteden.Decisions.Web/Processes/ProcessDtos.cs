using Drechtsteden.Decisions.Processes;

namespace Drechtsteden.Decisions.Web.Processes;

/// <param name="Definition">The workflow definition the process is pinned to, as id@version.</param>
/// <param name="Light">The process's status light (null under the embargo), <paramref name="Attention"/> the colleges not on track and why, <paramref name="Next"/> the coordinator's next step.</param>
public sealed record ProcessSummary(Guid Id, string Title, string Reference, string Region, string Definition, string State, DateTimeOffset Deadline, DateOnly? DeadlineDate,
    int DaysLeft, int Participants, int? Identical, int? Decided, StatusLight? Light = null, IReadOnlyList<CollegeAttention>? Attention = null, NextStep? Next = null,
    string? MyAction = null);

/// <summary>A college that is not on track, with the reason that set its light.</summary>
public sealed record CollegeAttention(string Municipality, StatusLight Light, StatusReason Reason);

/// <param name="CouncilLetter">The raadsinformatiebrief's body (Markdown) given with this version; under the embargo only coordinators, auditors and administrators read it.</param>
/// <param name="CouncilLetterHash">SHA-256 of that body: what every council's copy prints in its footer.</param>
public sealed record ConceptDto(int Number, string Text, string? DocumentUrl, string? Note, DateTimeOffset CreatedAt, string? CouncilLetter = null, string? CouncilLetterHash = null);

/// <summary>The griffier's confirmation: the date the letter was placed before the council, and where it is in the council information system.</summary>
public sealed record CouncilDto(DateOnly InformedOn, string? Link);

public sealed record MeetingRef(Guid Id, DateTimeOffset StartsAt);

public sealed record DecisionDto(int Sequence, int ConceptVersion, DecisionOutcome Outcome, string? Text, DateOnly DecidedOn, string? Reason, DateTimeOffset RecordedAt);

/// <param name="PermittedCommands">What the reader may do on this item now (schedule, decide, defer, confirmCouncil).</param>
/// <param name="Council">The griffier's confirmation that the council got the raadsinformatiebrief (null: not yet).</param>
/// <param name="Status">The college's status light with its reasons (<see cref="ProcessStatusRules"/>); null under the embargo.</param>
public sealed record ItemDto(string Municipality, string State, MeetingRef? Meeting, bool Embargoed, DecisionDto? Decision, bool? Identical,
    IReadOnlyList<DiffSegment>? Diff, bool AtRisk, int DecisionCount, IReadOnlyList<string> PermittedCommands, CollegeStatusDto? Status = null, CouncilDto? Council = null);

/// <summary>A college's light (onTrack, atRisk, late) and the reasons, the first one deciding.</summary>
public sealed record CollegeStatusDto(StatusLight Light, IReadOnlyList<StatusReason> Reasons);

/// <param name="Light">The process's light, the worst of its colleges' (null under the embargo: it would tell who diverged).</param>
/// <param name="Next">The coordinator's next step (coordinators, auditors and administrators only).</param>
/// <param name="TargetWeek">The first day of the synchronous week, when one is set.</param>
/// <param name="ProposedTargetWeek">The earliest week before the deadline in which every college meets (from their calendars).</param>
/// <param name="SpreadDays">Days between the first and the last planned meeting of the colleges.</param>
public sealed record ProcessStatusDto(StatusLight? Light, NextStep? Next, DateOnly? TargetWeek, DateOnly? ProposedTargetWeek, int? SpreadDays);

/// <param name="PermittedCommands">What the reader may do on the process now (reviseConcept, extendDeadline, publish, cancel).</param>
public sealed record ProcessDto(Guid Id, string Title, string Reference, string Region, string Definition, string State, DateTimeOffset Deadline,
    DateOnly? DeadlineDate, DateOnly? SynchronizationWindowStart, int DaysLeft, DateTimeOffset? PublicationAt, int ConceptVersion,
    IReadOnlyList<ConceptDto> Concepts, IReadOnlyList<ItemDto> Items, IReadOnlyList<string> PermittedCommands, uint Version, ProcessStatusDto? Status = null);
