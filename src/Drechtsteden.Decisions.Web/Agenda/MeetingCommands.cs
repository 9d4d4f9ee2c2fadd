using System.Globalization;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Agenda;

/// <summary>
/// The college's meeting calendar: add, move and cancel meetings, each in one transaction with its audit entry (in
/// the system chain). A meeting that carries scheduled agenda items is not cancelled, nor moved past a deadline or
/// into the past: the secretary reschedules the items first, so no item silently loses its meeting.
/// </summary>
public sealed class MeetingCommands(DecisionsDbContext db, AuditTrail audit, TimerScheduler timers, DecisionWorkflow workflow, TimeProvider clock)
{
    private sealed record AddedMeeting(Guid MeetingId);

    public async Task<Meeting> AddAsync(string municipalityCode, DateTimeOffset startsAt, string? note, Actor actor, CommandKey? key = null,
        CancellationToken cancellationToken = default)
    {
        EnsureMayKeepCalendar(actor, municipalityCode);
        key ??= new CommandKey(null, "add-meeting", municipalityCode);
        if (await db.ReplayAsync<AddedMeeting>(key, actor, cancellationToken) is { } earlier)
            return await db.Meetings.AsNoTracking().FirstAsync(m => m.Id == earlier.MeetingId, cancellationToken);
        if (!await db.Municipalities.AnyAsync(m => m.Code == municipalityCode, cancellationToken))
            throw DomainException.NotFound("municipality-not-found", $"Municipality {municipalityCode} does not exist.");
        if (startsAt <= clock.GetUtcNow())
            throw DomainException.Invalid("meeting-in-past", "A new meeting must lie in the future.", "startsAt");
        var meeting = new Meeting(Guid.CreateVersion7(clock.GetUtcNow()), municipalityCode, AuditHash.ToMicroseconds(startsAt), Trim(note));
        try
        {
            await audit.InTransactionAsync(async () =>
            {
                db.Meetings.Add(meeting);
                await audit.AppendAsync(actor, Record("meeting.added", meeting, null, Json(meeting), note, StatusCodes.Status201Created), cancellationToken);
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

    public async Task<Meeting> MoveAsync(Guid meetingId, DateTimeOffset startsAt, string? note, Actor actor, CancellationToken cancellationToken = default)
    {
        Meeting meeting = null!;
        var timerChanges = new TimerChanges();
        await audit.InTransactionAsync(async () =>
        {
            timerChanges = new TimerChanges(); // a retried attempt starts over
            meeting = await LockAsync(meetingId, actor, cancellationToken);
            if (startsAt <= clock.GetUtcNow())
                throw DomainException.Invalid("meeting-in-past", "A meeting cannot be moved into the past.", "startsAt");
            var items = await ScheduledItemsAsync(meetingId, cancellationToken);
            foreach (var (item, deadline) in items)
            {
                if (startsAt >= deadline)
                {
                    throw DomainException.Conflict("meeting-after-deadline",
                        $"Agenda item {item.Id} is scheduled on this meeting and its deadline is {deadline:yyyy-MM-dd HH:mm}Z; reschedule it before moving the meeting past it.");
                }
            }
            var before = Json(meeting);
            meeting.MoveTo(AuditHash.ToMicroseconds(startsAt));
            foreach (var (item, _) in items)
                item.FollowMeeting(meeting);
            // The agenda items on the meeting follow it; the entry names them.
            var after = Json(meeting);
            after["agendaItems"] = new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(i.Item.Id.ToString())).ToArray());
            await audit.AppendAsync(actor, Record("meeting.moved", meeting, before, after, note, StatusCodes.Status200OK), cancellationToken);

            // Timers relative to the meeting (the decision reminder) move with it.
            foreach (var processId in items.Select(i => i.Item.ProcessId).Distinct())
            {
                await db.Database.ExecuteSqlAsync($"SELECT 1 FROM processes WHERE id = {processId} FOR UPDATE", cancellationToken);
                var process = await db.ProcessAggregates.FirstAsync(p => p.Id == processId, cancellationToken);
                var changes = await timers.SyncAsync(process, workflow.DefinitionOf(process), clock.GetUtcNow(), cancellationToken);
                timerChanges.ToSchedule.AddRange(changes.ToSchedule);
                timerChanges.JobsToDelete.AddRange(changes.JobsToDelete);
            }
        }, cancellationToken);
        await timers.ApplyAsync(timerChanges, cancellationToken);
        return meeting;
    }

    public async Task<Meeting> CancelAsync(Guid meetingId, string? note, Actor actor, CancellationToken cancellationToken = default)
    {
        Meeting meeting = null!;
        await audit.InTransactionAsync(async () =>
        {
            meeting = await LockAsync(meetingId, actor, cancellationToken);
            if ((await ScheduledItemsAsync(meetingId, cancellationToken)).Count > 0)
                throw DomainException.Conflict("meeting-has-items", "Regional agenda items are scheduled on this meeting; reschedule them before cancelling it.");
            var before = Json(meeting);
            meeting.Cancel(Trim(note));
            await audit.AppendAsync(actor, Record("meeting.cancelled", meeting, before, Json(meeting), note, StatusCodes.Status200OK), cancellationToken);
        }, cancellationToken);
        return meeting;
    }

    public static void EnsureMayKeepCalendar(Actor actor, string municipalityCode)
    {
        var allowed = actor.Role == Role.Admin || (actor.Role == Role.Secretary && actor.ActsFor(municipalityCode));
        if (!allowed)
            throw DomainException.Forbidden("calendar-not-yours", $"Only the secretary of {municipalityCode} (or an administrator) keeps its meeting calendar.");
    }

    private async Task<Meeting> LockAsync(Guid meetingId, Actor actor, CancellationToken cancellationToken)
    {
        var meeting = await db.Meetings.FromSql($"SELECT *, xmin FROM meetings WHERE id = {meetingId} FOR UPDATE").FirstOrDefaultAsync(cancellationToken)
            ?? throw DomainException.NotFound("meeting-not-found", $"Meeting {meetingId} does not exist.");
        EnsureMayKeepCalendar(actor, meeting.MunicipalityCode);
        return meeting;
    }

    private async Task<List<(Decisions.Processes.AgendaItem Item, DateTimeOffset Deadline)>> ScheduledItemsAsync(Guid meetingId, CancellationToken cancellationToken)
    {
        var rows = await (from item in db.AgendaItems
                          join process in db.Processes on item.ProcessId equals process.Id
                          where item.MeetingId == meetingId
                          select new { Item = item, process.DeadlineAt }).ToListAsync(cancellationToken);
        return rows.Select(r => (r.Item, r.DeadlineAt)).ToList();
    }

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
