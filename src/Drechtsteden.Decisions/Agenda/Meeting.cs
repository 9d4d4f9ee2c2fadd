using System.ComponentModel.DataAnnotations;
using Drechtsteden.Decisions.Input;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Agenda;

public enum MeetingStatus
{
    Planned,
    Cancelled,
}

/// <summary>A secretary adds, moves or cancels a meeting: when it starts (not for a cancellation), and a note.</summary>
public sealed record MeetingChange(DateTimeOffset? StartsAt, [property: StringLength(Limits.MeetingNote)] string? Note = null);

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

    /// <summary>
    /// A meeting as the store holds it, for a read that materializes it by hand (a command's locked read): no validation,
    /// the stored values as they are.
    /// </summary>
    public static Meeting FromStored(Guid id, string municipalityCode, DateTimeOffset startsAt, MeetingStatus status, string? note) =>
        new() { Id = id, MunicipalityCode = municipalityCode, StartsAt = startsAt, Status = status, Note = note };

    public Guid Id { get; private set; }

    public string MunicipalityCode { get; private set; }

    public DateTimeOffset StartsAt { get; private set; }

    public MeetingStatus Status { get; private set; }

    public string? Note { get; private set; }

    /// <summary>The meeting's calendar date in Amsterdam.</summary>
    public DateOnly Date => Amsterdam.DateOf(StartsAt);

    public bool IsCancelled => Status == MeetingStatus.Cancelled;

    public void MoveTo(DateTimeOffset startsAt, DateTimeOffset now)
    {
        if (IsCancelled)
            throw DomainException.Conflict("meeting-cancelled", "A cancelled meeting cannot be moved.");
        EnsureNotStarted(now);
        if (startsAt <= now)
            throw DomainException.Invalid("meeting-in-past", "A meeting cannot be moved into the past.", "startsAt");
        StartsAt = startsAt.ToUniversalTime();
    }

    public void Cancel(string? note, DateTimeOffset now)
    {
        if (IsCancelled)
            throw DomainException.Conflict("meeting-cancelled", "This meeting has already been cancelled.");
        EnsureNotStarted(now);
        Status = MeetingStatus.Cancelled;
        Note = note ?? Note;
    }

    /// <summary>A meeting that has begun is history: what was decided there refers to it.</summary>
    private void EnsureNotStarted(DateTimeOffset now)
    {
        if (StartsAt <= now)
            throw DomainException.Conflict("meeting-started", $"The meeting of {Date:yyyy-MM-dd} has already begun; it can no longer be moved or cancelled.");
    }
}
