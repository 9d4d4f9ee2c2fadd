using System.Globalization;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Input;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Agenda;

/// <summary>
/// The college's meeting calendar: add, move and cancel meetings, each in one transaction with its audit entry (in
/// the system chain). A change locks the meeting first (FOR UPDATE) and only then looks at the agenda items on it:
/// a schedule command share-locks the meeting it names, so it either finished before (and its item is seen) or waits
/// until after (and sees the change). A meeting that carries regional agenda items is not cancelled; when it moves,
/// the items follow it (not past their deadline), recorded on each process's chain, and their timers are reconciled.
/// </summary>
public sealed class MeetingCommands(DecisionsDbContext db, AuditTrail audit, CommandPipeline pipeline, TimeProvider clock)
{
    private sealed record AddedMeeting(Guid MeetingId);

    public async Task<Meeting> AddAsync(string municipalityCode, MeetingChange change, Actor actor, CommandKey? key = null, CancellationToken cancellationToken = default)
    {
        EnsureMayKeepCalendar(actor, municipalityCode);
        CommandInput.Validate(change);
        key ??= new CommandKey(null, "add-meeting", new { municipalityCode, change });
        if (await db.ReplayAsync<AddedMeeting>(key, actor, cancellationToken) is { } earlier)
            return await db.Meetings.AsNoTracking().FirstAsync(m => m.Id == earlier.MeetingId, cancellationToken);
        if (!await db.Municipalities.AnyAsync(m => m.Code == municipalityCode, cancellationToken))
            throw DomainException.NotFound("municipality-not-found", $"Municipality {municipalityCode} does not exist.");
        var startsAt = change.StartsAt ?? throw DomainException.Invalid("starts-at-required", "When does the meeting start (startsAt)?", "startsAt");
        if (startsAt <= clock.GetUtcNow())
            throw DomainException.Invalid("meeting-in-past", "A new meeting must lie in the future.", "startsAt");
        var meeting = new Meeting(Guid.CreateVersion7(clock.GetUtcNow()), municipalityCode, AuditHash.ToMicroseconds(startsAt), Trim(change.Note));
        try
        {
            await audit.InTransactionAsync(async () =>
            {
                db.Meetings.Add(meeting);
                await audit.AppendAsync(actor, Record("meeting.added", meeting, null, Json(meeting), change.Note, StatusCodes.Status201Created), cancellationToken);
                db.Remember(key, actor, new AddedMeeting(meeting.Id), clock.GetUtcNow());
            }, cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsConcurrentDuplicate())
        {
            db.ChangeTracker.Clear();
            var first = await db.ReplayAsync<AddedMeeting>(key, actor, cancellationToken) ?? throw new InvalidOperationException("The idempotency record vanished.");
            return await db.Meetings.AsNoTracking().FirstAsync(m => m.Id == first.MeetingId, cancellationToken);
        }
        return meeting;
    }

    public async Task<Meeting> MoveAsync(Guid meetingId, MeetingChange change, Actor actor, CancellationToken cancellationToken = default)
    {
        CommandInput.Validate(change);
        var startsAt = change.StartsAt ?? throw DomainException.Invalid("starts-at-required", "When does the meeting start now (startsAt)?", "startsAt");
        return await pipeline.InTransactionAsync(async () =>
        {
            var meeting = await LockAsync(meetingId, actor, cancellationToken);
            var before = Json(meeting);
            var now = clock.GetUtcNow();
            meeting.MoveTo(AuditHash.ToMicroseconds(startsAt), now);
            var moved = new JsonArray();
            // The items on the meeting now (it is locked: none can come or go), their processes locked in one order.
            foreach (var processId in await ProcessesOnAsync(meetingId, cancellationToken))
            {
                var process = await pipeline.LockAsync(processId, cancellationToken);
                var snapshots = process.Items.Where(i => i.MeetingId == meetingId).ToDictionary(i => i.Id, i => ProcessAudit.ItemJson(process, i));
                var items = process.FollowMeeting(meeting, now);
                foreach (var item in items)
                    moved.Add((JsonNode?)JsonValue.Create(item.Id.ToString()));
                await pipeline.PersistAsync(process, null, new ProcessOutcome([], [], null, []), actor, StatusCodes.Status200OK, cancellationToken,
                    items.Select(i => ProcessAudit.MeetingMoved(process, i, snapshots[i.Id], Trim(change.Note))));
            }
            var after = Json(meeting);
            after["agendaItems"] = moved;
            await audit.AppendAsync(actor, Record("meeting.moved", meeting, before, after, change.Note, StatusCodes.Status200OK), cancellationToken);
            return meeting;
        }, cancellationToken);
    }

    public Task<Meeting> CancelAsync(Guid meetingId, MeetingChange change, Actor actor, CancellationToken cancellationToken = default)
    {
        CommandInput.Validate(change);
        return pipeline.InTransactionAsync(async () =>
        {
            var meeting = await LockAsync(meetingId, actor, cancellationToken);
            if ((await ProcessesOnAsync(meetingId, cancellationToken)).Count > 0)
                throw DomainException.Conflict("meeting-has-items", "Regional agenda items are scheduled on this meeting; reschedule them before cancelling it.");
            var before = Json(meeting);
            meeting.Cancel(Trim(change.Note), clock.GetUtcNow());
            await audit.AppendAsync(actor, Record("meeting.cancelled", meeting, before, Json(meeting), change.Note, StatusCodes.Status200OK), cancellationToken);
            return meeting;
        }, cancellationToken);
    }

    /// <summary>Only a college's own secretary (or an administrator) keeps its calendar.</summary>
    public static void EnsureMayKeepCalendar(Actor actor, string municipalityCode)
    {
        var allowed = actor.Role == Role.Admin || (actor.Role == Role.Secretary && actor.ActsFor(municipalityCode));
        if (!allowed)
            throw DomainException.Forbidden("calendar-not-yours", $"Only the secretary of {municipalityCode} (or an administrator) keeps its meeting calendar.");
    }

    private async Task<Meeting> LockAsync(Guid meetingId, Actor actor, CancellationToken cancellationToken)
    {
        var meeting = await pipeline.LockMeetingAsync(meetingId, cancellationToken)
            ?? throw DomainException.NotFound("meeting-not-found", $"Meeting {meetingId} does not exist.");
        EnsureMayKeepCalendar(actor, meeting.MunicipalityCode);
        return meeting;
    }

    /// <summary>The processes with an agenda item on the meeting, in the order their rows are locked.</summary>
    private Task<List<Guid>> ProcessesOnAsync(Guid meetingId, CancellationToken cancellationToken) =>
        db.AgendaItems.AsNoTracking().Where(i => i.MeetingId == meetingId).Select(i => i.ProcessId).Distinct().OrderBy(id => id).ToListAsync(cancellationToken);

    private static AuditRecord Record(string action, Meeting meeting, JsonObject? before, JsonObject after, string? note, int status) =>
        new(AuditEntry.SystemChain, action, "meeting", meeting.Id.ToString(),
            $"Collegevergadering {meeting.MunicipalityCode} {Amsterdam.ToLocal(meeting.StartsAt):yyyy-MM-dd HH:mm}",
            MunicipalityCode: meeting.MunicipalityCode, Before: before, After: after, Reason: Trim(note), Status: status);

    private static JsonObject Json(Meeting m) => new()
    {
        ["municipality"] = m.MunicipalityCode,
        ["startsAt"] = m.StartsAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["status"] = m.Status.ToString(),
        ["note"] = m.Note,
    };

    private static string? Trim(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
