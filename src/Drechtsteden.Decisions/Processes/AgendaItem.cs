using Drechtsteden.Decisions.Agenda;

namespace Drechtsteden.Decisions.Processes;

/// <summary>The regional concept on the agenda of one participating college.</summary>
public sealed class AgendaItem
{
    private readonly List<Decision> _decisions = [];

    private AgendaItem()
    {
        MunicipalityCode = "";
        State = "";
    }

    internal AgendaItem(Guid processId, string municipalityCode, string initialState)
    {
        Id = Guid.CreateVersion7();
        ProcessId = processId;
        MunicipalityCode = municipalityCode;
        State = initialState;
    }

    /// <summary>An item as it is stored, with its decisions (for a store that reads it by hand).</summary>
    public static AgendaItem FromStored(Guid id, Guid processId, string municipalityCode, string state, Guid? meetingId, DateTimeOffset? meetingStartsAt,
        DateOnly? councilInformedOn, string? councilLink, DateTimeOffset? councilConfirmedAt, string? councilConfirmedBy, IEnumerable<Decision> decisions)
    {
        var item = new AgendaItem
        {
            Id = id,
            ProcessId = processId,
            MunicipalityCode = municipalityCode,
            State = state,
            MeetingId = meetingId,
            MeetingStartsAt = meetingStartsAt,
            CouncilInformedOn = councilInformedOn,
            CouncilLink = councilLink,
            CouncilConfirmedAt = councilConfirmedAt,
            CouncilConfirmedBy = councilConfirmedBy,
        };
        item._decisions.AddRange(decisions);
        return item;
    }

    public Guid Id { get; private set; }

    public Guid ProcessId { get; private set; }

    public string MunicipalityCode { get; private set; }

    /// <summary>The item's state in its workflow definition (e.g. Unscheduled, Scheduled, Deferred, Decided).</summary>
    public string State { get; private set; }

    public Guid? MeetingId { get; private set; }

    /// <summary>When the meeting the item is scheduled on starts (kept in step when the meeting moves).</summary>
    public DateTimeOffset? MeetingStartsAt { get; private set; }

    /// <summary>The date on which the griffier placed the raadsinformatiebrief before the council (null: not yet).</summary>
    public DateOnly? CouncilInformedOn { get; private set; }

    /// <summary>Where the letter is in the municipality's own council information system, when the griffier gave it.</summary>
    public string? CouncilLink { get; private set; }

    public DateTimeOffset? CouncilConfirmedAt { get; private set; }

    public string? CouncilConfirmedBy { get; private set; }

    public IReadOnlyList<Decision> Decisions => _decisions;

    public Decision? LatestDecision => _decisions.Count == 0 ? null : _decisions.MaxBy(d => d.Sequence);

    internal void SetState(string state) => State = state;

    internal void AssignMeeting(Meeting meeting)
    {
        MeetingId = meeting.Id;
        MeetingStartsAt = meeting.StartsAt;
    }

    internal void RecordCouncilInformed(DateOnly informedOn, string? link, DateTimeOffset now, string confirmedBy)
    {
        CouncilInformedOn = informedOn;
        CouncilLink = link;
        CouncilConfirmedAt = now;
        CouncilConfirmedBy = confirmedBy;
    }

    internal void ClearMeeting()
    {
        MeetingId = null;
        MeetingStartsAt = null;
    }

    /// <summary>The calendar moved the meeting this item is on.</summary>
    internal void FollowMeeting(Meeting meeting)
    {
        if (MeetingId == meeting.Id)
            MeetingStartsAt = meeting.StartsAt;
    }

    internal Decision AddDecision(int conceptVersion, DecisionOutcome outcome, string? text, DateOnly decidedOn, string? reason, bool textMatchesConcept,
        DateTimeOffset now, string recordedBy)
    {
        var decision = new Decision(Id, _decisions.Count + 1, conceptVersion, outcome, text, decidedOn, reason, MeetingId, textMatchesConcept, now, recordedBy);
        _decisions.Add(decision);
        return decision;
    }
}
