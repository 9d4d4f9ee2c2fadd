using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Processes;

/// <summary>
/// A regional decision process: one concept, put before several colleges, to be decided identically before one
/// deadline. The aggregate: its concept versions, its agenda items (one per college) and their decisions change only
/// through <see cref="DecisionWorkflow"/>, which runs the workflow definition the process is pinned to.
/// </summary>
public sealed class DecisionProcess
{
    private readonly List<ConceptVersion> _concepts = [];
    private readonly List<AgendaItem> _items = [];
    private readonly List<DeadlineChange> _deadlineChanges = [];
    private Dictionary<string, int[]> _timerOffsets = [];

    private DecisionProcess()
    {
        DefinitionId = "";
        RegionCode = "";
        Title = "";
        Reference = "";
        State = "";
        CreatedBy = "";
    }

    internal DecisionProcess(Guid id, string definitionId, int definitionVersion, string regionCode, string title, string reference,
        Deadline deadline, DateOnly? synchronizationWindowStart, string initialState, DateTimeOffset now, string createdBy)
    {
        Id = id;
        DefinitionId = definitionId;
        DefinitionVersion = definitionVersion;
        RegionCode = regionCode;
        Title = title;
        Reference = reference;
        DeadlineAt = deadline.Instant;
        DeadlineDate = deadline.Date;
        SynchronizationWindowStart = synchronizationWindowStart;
        State = initialState;
        CreatedAt = now;
        UpdatedAt = now;
        CreatedBy = createdBy;
    }

    /// <summary>
    /// A process as it is stored, with its concept versions and items (for a store that reads it by hand). Its deadline
    /// history is not read with it (<see cref="DeadlineChanges"/>).
    /// </summary>
    public static DecisionProcess FromStored(Guid id, string definitionId, int definitionVersion, string regionCode, string title, string reference,
        string state, DateTimeOffset deadlineAt, DateOnly? deadlineDate, DateOnly? synchronizationWindowStart, DateTimeOffset? publicationAt,
        string? cancellationReason, DateTimeOffset createdAt, string createdBy, DateTimeOffset updatedAt, int revision,
        Dictionary<string, int[]> timerOffsets, IEnumerable<ConceptVersion> concepts, IEnumerable<AgendaItem> items)
    {
        var process = new DecisionProcess
        {
            Id = id,
            DefinitionId = definitionId,
            DefinitionVersion = definitionVersion,
            RegionCode = regionCode,
            Title = title,
            Reference = reference,
            State = state,
            DeadlineAt = deadlineAt,
            DeadlineDate = deadlineDate,
            SynchronizationWindowStart = synchronizationWindowStart,
            PublicationAt = publicationAt,
            CancellationReason = cancellationReason,
            CreatedAt = createdAt,
            CreatedBy = createdBy,
            UpdatedAt = updatedAt,
            Revision = revision,
            _timerOffsets = timerOffsets,
        };
        process._concepts.AddRange(concepts);
        process._items.AddRange(items);
        return process;
    }

    public Guid Id { get; private set; }

    /// <summary>The workflow definition and version this process is pinned to for its whole life.</summary>
    public string DefinitionId { get; private set; }

    public int DefinitionVersion { get; private set; }

    public string RegionCode { get; private set; }

    public string Title { get; private set; }

    /// <summary>Zaaknummer, e.g. 2023-0080716.</summary>
    public string Reference { get; private set; }

    public string State { get; private set; }

    public DateTimeOffset DeadlineAt { get; private set; }

    public DateOnly? DeadlineDate { get; private set; }

    /// <summary>Earliest date on which colleges should decide; a meeting before it is accepted with a warning.</summary>
    public DateOnly? SynchronizationWindowStart { get; private set; }

    /// <summary>The instant at which all councils are informed at once; decisions are embargoed until then.</summary>
    public DateTimeOffset? PublicationAt { get; private set; }

    public string? CancellationReason { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Counts the commands applied; every command raises it, so the process row (and its ETag) changes with any change to the process.</summary>
    public int Revision { get; private set; }

    public IReadOnlyList<ConceptVersion> Concepts => _concepts;

    public IReadOnlyList<AgendaItem> Items => _items;

    /// <summary>
    /// The deadline extensions made on this instance. The history is append-only and no rule reads it, so a process read
    /// from the store does not load it: the store keeps every change (and the audit trail records each extension).
    /// </summary>
    public IReadOnlyList<DeadlineChange> DeadlineChanges => _deadlineChanges;

    /// <summary>Offsets in days that this process uses instead of its definition's, per timer id (set when started).</summary>
    public IReadOnlyDictionary<string, int[]> TimerOffsets => _timerOffsets;

    public Deadline Deadline => Deadline.FromStored(DeadlineAt, DeadlineDate);

    public ConceptVersion CurrentConcept => _concepts.MaxBy(c => c.Number) ?? throw new InvalidOperationException("A process always has a concept.");

    public AgendaItem Item(string municipalityCode) =>
        _items.FirstOrDefault(i => i.MunicipalityCode == municipalityCode)
        ?? throw DomainException.NotFound("item-not-found", $"Municipality {municipalityCode} does not take part in this process.");

    public ConceptVersion? Concept(int number) => _concepts.FirstOrDefault(c => c.Number == number);

    /// <summary>Gelijkluidend: adopted, on the current concept version, with the concept's text (<see cref="DecisionRules"/>).</summary>
    public bool IsIdentical(AgendaItem item) =>
        item.LatestDecision is { } d && DecisionRules.IsIdentical(d.Outcome, d.ConceptVersion, d.TextMatchesConcept, CurrentConcept.Number);

    /// <summary>Decided on the current version, but not identically: rejected, or adopted with another text.</summary>
    public bool IsDiverged(AgendaItem item) =>
        item.LatestDecision is { } d && DecisionRules.IsDiverged(d.Outcome, d.ConceptVersion, d.TextMatchesConcept, CurrentConcept.Number);

    /// <summary>The item's latest decision was taken on a concept version that has since been revised.</summary>
    public bool IsDecidedOnOlderVersion(AgendaItem item) =>
        item.LatestDecision is { } d && DecisionRules.IsDecidedOnOlderVersion(d.Outcome, d.ConceptVersion, CurrentConcept.Number);

    /// <summary>Word diff of the item's latest adopted text against the concept version it was decided on.</summary>
    public IReadOnlyList<DiffSegment>? DiffOf(AgendaItem item) =>
        item.LatestDecision is { IsAdoption: true, TextMatchesConcept: false, Text: { } text } d && Concept(d.ConceptVersion) is { } concept
            ? TextComparison.WordDiff(concept.Text, text)
            : null;

    internal void SetState(string state) => State = state;

    /// <summary>The synchronous week's first day (a Monday), set by the coordinator.</summary>
    public void SetSynchronizationWindow(DateOnly start) => SynchronizationWindowStart = start;

    /// <summary>
    /// The calendar moved a meeting: the agenda items on it follow (not past the deadline). Returns the items that
    /// moved; the process changes (its revision) only when one did.
    /// </summary>
    public IReadOnlyList<AgendaItem> FollowMeeting(Meeting meeting, DateTimeOffset now)
    {
        var moved = _items.Where(i => i.MeetingId == meeting.Id).ToList();
        if (moved.Count > 0 && meeting.StartsAt >= DeadlineAt)
        {
            throw DomainException.Conflict("meeting-after-deadline",
                $"The agenda item of {moved[0].MunicipalityCode} in '{Title}' is on this meeting and its deadline is {Deadline}; reschedule it before moving the meeting past it.");
        }
        foreach (var item in moved)
            item.FollowMeeting(meeting);
        if (moved.Count > 0)
            Touch(now);
        return moved;
    }

    internal void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Revision++;
    }

    internal void AddItem(AgendaItem item) => _items.Add(item);

    internal void SetTimerOffsets(IReadOnlyDictionary<string, int[]> offsets) => _timerOffsets = offsets.ToDictionary(o => o.Key, o => o.Value.Distinct().Order().ToArray());

    /// <param name="councilLetter">The raadsinformatiebrief's body for this version; null keeps the previous version's.</param>
    internal ConceptVersion AddConcept(string text, string? documentUrl, string? note, DateTimeOffset now, string createdBy, string? councilLetter = null)
    {
        var letter = Processes.CouncilLetter.Normalize(councilLetter) ?? (_concepts.Count == 0 ? null : CurrentConcept.CouncilLetter);
        var version = new ConceptVersion(Id, _concepts.Count + 1, text, documentUrl, note, now, createdBy, letter);
        _concepts.Add(version);
        return version;
    }

    internal void ChangeDeadline(Deadline deadline, string reason, DateTimeOffset now, string changedBy)
    {
        _deadlineChanges.Add(new DeadlineChange(Id, DeadlineAt, DeadlineDate, deadline.Instant, deadline.Date, reason, now, changedBy));
        DeadlineAt = deadline.Instant;
        DeadlineDate = deadline.Date;
    }

    internal void SetPublication(DateTimeOffset at) => PublicationAt = at;

    internal void SetCancellation(string? reason) => CancellationReason = reason;
}

/// <summary>A deadline extension: old and new deadline, why, when and by whom.</summary>
public sealed class DeadlineChange
{
    private DeadlineChange()
    {
        Reason = "";
        ChangedBy = "";
    }

    internal DeadlineChange(Guid processId, DateTimeOffset oldAt, DateOnly? oldDate, DateTimeOffset newAt, DateOnly? newDate, string reason, DateTimeOffset changedAt, string changedBy)
    {
        Id = Guid.CreateVersion7(changedAt);
        ProcessId = processId;
        OldDeadlineAt = oldAt;
        OldDeadlineDate = oldDate;
        NewDeadlineAt = newAt;
        NewDeadlineDate = newDate;
        Reason = reason;
        ChangedAt = changedAt;
        ChangedBy = changedBy;
    }

    public Guid Id { get; private set; }

    public Guid ProcessId { get; private set; }

    public DateTimeOffset OldDeadlineAt { get; private set; }

    public DateOnly? OldDeadlineDate { get; private set; }

    public DateTimeOffset NewDeadlineAt { get; private set; }

    public DateOnly? NewDeadlineDate { get; private set; }

    public string Reason { get; private set; }

    public DateTimeOffset ChangedAt { get; private set; }

    public string ChangedBy { get; private set; }
}
