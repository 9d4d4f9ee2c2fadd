using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Agenda;

public enum MeetingStatus
{
    Planned,
    Cancelled,
}

/// <summary>A meeting of a college of B&amp;W (collegevergadering) in its calendar.</summary>
public sealed class Meeting
{
    private Meeting()
    {
        MunicipalityCode = "";
    }

    public Meeting(Guid id, string municipalityCode, DateTimeOffset startsAt, string? note = null)
    {
        Id = id;
        MunicipalityCode = Regions.MunicipalityCode.Parse(municipalityCode);
        StartsAt = startsAt.ToUniversalTime();
        Note = note;
        Status = MeetingStatus.Planned;
    }

    public Guid Id { get; private set; }

    public string MunicipalityCode { get; private set; }

    public DateTimeOffset StartsAt { get; private set; }

    public MeetingStatus Status { get; private set; }

    public string? Note { get; private set; }

    /// <summary>The meeting's calendar date in Amsterdam.</summary>
    public DateOnly Date => Amsterdam.DateOf(StartsAt);

    public bool IsCancelled => Status == MeetingStatus.Cancelled;

    public void MoveTo(DateTimeOffset startsAt)
    {
        if (IsCancelled)
            throw DomainException.Conflict("meeting-cancelled", "A cancelled meeting cannot be moved.");
        StartsAt = startsAt.ToUniversalTime();
    }

    public void Cancel(string? note)
    {
        Status = MeetingStatus.Cancelled;
        Note = note ?? Note;
    }
}
