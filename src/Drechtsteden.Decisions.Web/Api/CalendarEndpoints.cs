using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Api;

public sealed record MunicipalityDto(string Code, string Name, DayOfWeek UsualMeetingDay);

public sealed record MeetingDto(Guid Id, string Municipality, DateTimeOffset StartsAt, MeetingStatus Status, string? Note);

/// <summary>Municipalities, their colleges' meeting calendars, and iCalendar feeds of meetings, scheduled items and deadlines.</summary>
public static class CalendarEndpoints
{
    public static RouteGroupBuilder MapCalendarEndpoints(this RouteGroupBuilder api)
    {
        var municipalities = api.MapGroup("/municipalities").WithTags("Municipalities");
        municipalities.MapGet("/", ListMunicipalitiesAsync).WithName("ListMunicipalities");
        municipalities.MapGet("/{code}/meetings", ListMeetingsAsync).WithName("ListMeetings").ProducesProblem(StatusCodes.Status404NotFound);
        municipalities.MapPost("/{code}/meetings", AddMeetingAsync).WithName("AddMeeting").ProducesCommandProblems();
        municipalities.MapPost("/{code}/meetings/{meetingId:guid}/move", MoveMeetingAsync).WithName("MoveMeeting").ProducesCommandProblems();
        municipalities.MapPost("/{code}/meetings/{meetingId:guid}/cancel", CancelMeetingAsync).WithName("CancelMeeting").ProducesCommandProblems();
        municipalities.MapGet("/{code}/calendar.ics", MunicipalityCalendarAsync).WithName("MunicipalityCalendar")
            .Produces<string>(StatusCodes.Status200OK, "text/calendar").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/processes/{id:guid}/calendar.ics", ProcessCalendarAsync).WithName("ProcessCalendar").WithTags("Processes")
            .Produces<string>(StatusCodes.Status200OK, "text/calendar").ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static Actor ActorOf(HttpContext context) =>
        context.User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");

    private static async Task<Ok<List<MunicipalityDto>>> ListMunicipalitiesAsync(DecisionsDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.Municipalities.AsNoTracking().OrderBy(m => m.Name).Select(m => new MunicipalityDto(m.Code, m.Name, m.UsualMeetingDay)).ToListAsync(cancellationToken));

    private static async Task<Ok<List<MeetingDto>>> ListMeetingsAsync(string code, DecisionsDbContext db, TimeProvider clock, DateOnly? from, DateOnly? until,
        CancellationToken cancellationToken)
    {
        await EnsureMunicipalityAsync(db, code, cancellationToken);
        var start = Time.Amsterdam.StartOfDay(from ?? Time.Amsterdam.DateOf(clock.GetUtcNow()).AddDays(-31));
        var end = Time.Amsterdam.StartOfDay((until ?? Time.Amsterdam.DateOf(clock.GetUtcNow()).AddYears(1)).AddDays(1));
        return TypedResults.Ok(await db.Meetings.AsNoTracking().Where(m => m.MunicipalityCode == code && m.StartsAt >= start && m.StartsAt < end)
            .OrderBy(m => m.StartsAt).Select(m => new MeetingDto(m.Id, m.MunicipalityCode, m.StartsAt, m.Status, m.Note)).ToListAsync(cancellationToken));
    }

    private static async Task<Created<MeetingDto>> AddMeetingAsync(string code, MeetingChange request, HttpContext context, MeetingCommands meetings,
        CancellationToken cancellationToken)
    {
        var meeting = await meetings.AddAsync(code, request, ActorOf(context), CommandKey.From(context, "add-meeting", new { code, request }), cancellationToken);
        return TypedResults.Created($"/api/municipalities/{code}/meetings/{meeting.Id}", new MeetingDto(meeting.Id, meeting.MunicipalityCode, meeting.StartsAt, meeting.Status, meeting.Note));
    }

    /// <summary>Moves a meeting; the agenda items on it, and their reminders, move along (not past their deadline).</summary>
    private static async Task<Ok<MeetingDto>> MoveMeetingAsync(string code, Guid meetingId, MeetingChange request, HttpContext context, MeetingCommands meetings,
        DecisionsDbContext db, CancellationToken cancellationToken)
    {
        MeetingCommands.EnsureMayKeepCalendar(ActorOf(context), code);
        await EnsureMeetingOfAsync(db, code, meetingId, cancellationToken);
        var meeting = await meetings.MoveAsync(meetingId, request, ActorOf(context), cancellationToken);
        return TypedResults.Ok(new MeetingDto(meeting.Id, meeting.MunicipalityCode, meeting.StartsAt, meeting.Status, meeting.Note));
    }

    /// <summary>Cancels a meeting that carries no regional agenda items.</summary>
    private static async Task<Ok<MeetingDto>> CancelMeetingAsync(string code, Guid meetingId, MeetingChange request, HttpContext context, MeetingCommands meetings,
        DecisionsDbContext db, CancellationToken cancellationToken)
    {
        MeetingCommands.EnsureMayKeepCalendar(ActorOf(context), code);
        await EnsureMeetingOfAsync(db, code, meetingId, cancellationToken);
        var meeting = await meetings.CancelAsync(meetingId, request, ActorOf(context), cancellationToken);
        return TypedResults.Ok(new MeetingDto(meeting.Id, meeting.MunicipalityCode, meeting.StartsAt, meeting.Status, meeting.Note));
    }

    private static async Task EnsureMeetingOfAsync(DecisionsDbContext db, string code, Guid meetingId, CancellationToken cancellationToken)
    {
        if (!await db.Meetings.AnyAsync(m => m.Id == meetingId && m.MunicipalityCode == code, cancellationToken))
            throw DomainException.NotFound("meeting-not-found", $"Meeting {meetingId} is not in the calendar of {code}.");
    }

    /// <summary>The college's meetings, the regional items scheduled on them and the deadlines of the processes it takes part in.</summary>
    private static async Task<ContentHttpResult> MunicipalityCalendarAsync(string code, HttpContext context, DecisionsDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        await EnsureMunicipalityAsync(db, code, cancellationToken);
        var since = clock.GetUtcNow().AddDays(-62);
        var calendar = NewCalendar($"Collegevergaderingen {code}");
        foreach (var m in await db.Meetings.AsNoTracking().Where(m => m.MunicipalityCode == code && m.StartsAt >= since && m.Status == MeetingStatus.Planned).ToListAsync(cancellationToken))
            calendar.Events.Add(Event($"meeting-{m.Id}", $"Collegevergadering {code}", m.StartsAt, m.StartsAt.AddHours(3), m.Note));
        var processes = await db.ProcessAggregates.AsNoTracking().Readable(actor, context.User.FindFirst(DecisionsClaims.Region)?.Value)
            .Where(p => p.Items.Any(i => i.MunicipalityCode == code) && p.DeadlineAt >= since).ToListAsync(cancellationToken);
        foreach (var p in processes)
            AddProcess(calendar, p, code);
        return Ics(calendar);
    }

    /// <summary>The process's deadline and every college's scheduled meeting for it.</summary>
    private static async Task<ContentHttpResult> ProcessCalendarAsync(Guid id, HttpContext context, DecisionsDbContext db, CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        var process = await db.ProcessAggregates.AsNoTracking().Readable(actor, context.User.FindFirst(DecisionsClaims.Region)?.Value)
            .FirstOrDefaultAsync(p => p.Id == id, cancellationToken)
            ?? throw DomainException.NotFound("process-not-found", $"Process {id} does not exist, or is not yours to see.");
        var calendar = NewCalendar(process.Title);
        AddProcess(calendar, process, null);
        return Ics(calendar);
    }

    private static void AddProcess(Calendar calendar, DecisionProcess process, string? onlyMunicipality)
    {
        calendar.Events.Add(Event($"deadline-{process.Id}", $"Termijn: {process.Title}", process.DeadlineAt, process.DeadlineAt,
            $"Uiterlijke datum voor gelijkluidende besluitvorming ({process.Reference})."));
        foreach (var item in process.Items.Where(i => i.MeetingStartsAt is not null && (onlyMunicipality is null || i.MunicipalityCode == onlyMunicipality)))
        {
            calendar.Events.Add(Event($"item-{item.Id}-{item.MeetingId}", $"Geagendeerd ({item.MunicipalityCode}): {process.Title}",
                item.MeetingStartsAt!.Value, item.MeetingStartsAt.Value.AddHours(1), $"Zaaknummer {process.Reference}"));
        }
    }

    private static Calendar NewCalendar(string name)
    {
        var calendar = new Calendar { ProductId = "-//Drechtsteden.Decisions//NL" };
        calendar.AddProperty("X-WR-CALNAME", name);
        return calendar;
    }

    private static CalendarEvent Event(string uid, string summary, DateTimeOffset start, DateTimeOffset end, string? description) => new()
    {
        Uid = $"{uid}@drechtsteden-decisions",
        Summary = summary,
        Description = description,
        DtStart = new CalDateTime(start.UtcDateTime, "UTC"),
        DtEnd = new CalDateTime(end.UtcDateTime, "UTC"),
    };

    private static ContentHttpResult Ics(Calendar calendar) => TypedResults.Text(new CalendarSerializer().SerializeToString(calendar) ?? "", "text/calendar; charset=utf-8");

    private static async Task EnsureMunicipalityAsync(DecisionsDbContext db, string code, CancellationToken cancellationToken)
    {
        if (!await db.Municipalities.AnyAsync(m => m.Code == code, cancellationToken))
            throw DomainException.NotFound("municipality-not-found", $"Municipality {code} does not exist.");
    }
}
