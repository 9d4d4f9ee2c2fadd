using System.Globalization;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Api;

public sealed record StartProcessRequest(
    string? Title, string? Reference, string? ConceptText, string? DocumentUrl, DateOnly? DeadlineDate, DateTimeOffset? DeadlineAt,
    DateOnly? SynchronizationWindowStart, string[]? Participants, string? Region, string? DefinitionId, Dictionary<string, int[]>? TimerOffsets);

public sealed record ScheduleRequest(Guid? MeetingId);

public sealed record DecisionRequest(DecisionOutcome? Outcome, int? ConceptVersion, DateOnly? DecidedOn, string? Text, string? Reason);

public sealed record ReviseConceptRequest(string? Text, string? DocumentUrl, string? Note);

public sealed record DeadlineRequest(DateOnly? Date, DateTimeOffset? At, string? Reason);

public sealed record PublishRequest(DateTimeOffset? At);

public sealed record CancelRequest(string? Reason);

public sealed record CommandAnswer(Guid ProcessId, string State, uint Version, IReadOnlyList<string> Warnings, bool Replayed);

public sealed record ProcessSummary(Guid Id, string Title, string Reference, string Region, string State, DateTimeOffset Deadline, DateOnly? DeadlineDate,
    int DaysLeft, int Participants, int Identical, int Decided);

public sealed record ConceptDto(int Number, string Text, string? DocumentUrl, string? Note, DateTimeOffset CreatedAt);

public sealed record MeetingRef(Guid Id, DateTimeOffset StartsAt);

public sealed record DecisionDto(int Sequence, int ConceptVersion, DecisionOutcome Outcome, string? Text, DateOnly DecidedOn, string? Reason, DateTimeOffset RecordedAt);

public sealed record ItemDto(string Municipality, string State, MeetingRef? Meeting, bool Embargoed, DecisionDto? Decision, bool? Identical,
    IReadOnlyList<DiffSegment>? Diff, bool AtRisk, int DecisionCount);

public sealed record ProcessDto(Guid Id, string Title, string Reference, string Region, string Definition, string State, DateTimeOffset Deadline,
    DateOnly? DeadlineDate, DateOnly? SynchronizationWindowStart, int DaysLeft, DateTimeOffset? PublicationAt, int ConceptVersion,
    IReadOnlyList<ConceptDto> Concepts, IReadOnlyList<ItemDto> Items, IReadOnlyList<string> PermittedTriggers, uint Version);

/// <summary>The regional processes: read them, start them, and every command of the workflow.</summary>
public static class ProcessEndpoints
{
    public static RouteGroupBuilder MapProcessEndpoints(this RouteGroupBuilder api)
    {
        var processes = api.MapGroup("/processes").WithTags("Processes");
        processes.MapGet("/", ListAsync).WithName("ListProcesses");
        processes.MapPost("/", StartAsync).WithName("StartProcess").ProducesCommandProblems();
        processes.MapGet("/{id:guid}", GetAsync).WithName("GetProcess");
        processes.MapPost("/{id:guid}/concepts", ReviseAsync).WithName("ReviseConcept").ProducesCommandProblems();
        processes.MapPost("/{id:guid}/deadline", ExtendAsync).WithName("ExtendDeadline").ProducesCommandProblems();
        processes.MapPost("/{id:guid}/publish", PublishAsync).WithName("Publish").ProducesCommandProblems();
        processes.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelProcess").ProducesCommandProblems();
        processes.MapPost("/{id:guid}/items/{code}/schedule", ScheduleAsync).WithName("ScheduleItem").ProducesCommandProblems();
        processes.MapPost("/{id:guid}/items/{code}/decision", DecideAsync).WithName("RecordDecision").ProducesCommandProblems();
        processes.MapGet("/{id:guid}/audit", AuditAsync).WithName("ExportProcessAudit")
            .Produces<System.Text.Json.Nodes.JsonArray>(StatusCodes.Status200OK, "application/json", "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static Actor ActorOf(HttpContext context) =>
        context.User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");

    /// <summary>Coordinators of the region, auditors and administrators read every process; secretaries and colleges those their municipality takes part in.</summary>
    public static IQueryable<DecisionProcess> Readable(this IQueryable<DecisionProcess> processes, Actor actor, string? region) => actor.Role switch
    {
        Role.Auditor or Role.Admin => processes,
        Role.Coordinator => region is null ? processes : processes.Where(p => p.RegionCode == region),
        _ => processes.Where(p => p.Items.Any(i => i.MunicipalityCode == actor.MunicipalityCode)),
    };

    private static async Task<Ok<List<ProcessSummary>>> ListAsync(HttpContext context, DecisionsDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        var processes = await db.ProcessAggregates.AsNoTracking().Readable(actor, context.User.FindFirst(DecisionsClaims.Region)?.Value)
            .OrderBy(p => p.DeadlineAt).Take(500).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(processes.Select(p => new ProcessSummary(p.Id, p.Title, p.Reference, p.RegionCode, p.State, p.DeadlineAt, p.DeadlineDate,
            DaysLeft(p, now), p.Items.Count, p.Items.Count(p.IsIdentical), p.Items.Count(i => i.LatestDecision is { Outcome: not DecisionOutcome.Deferred }))).ToList());
    }

    private static async Task<Results<Ok<ProcessDto>, NotFound<ProblemDetails>>> GetAsync(Guid id, HttpContext context, DecisionsDbContext db, DecisionWorkflow workflow,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        var process = await db.ProcessAggregates.Readable(actor, context.User.FindFirst(DecisionsClaims.Region)?.Value).FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (process is null)
            return TypedResults.NotFound(NotFoundProblem(id));
        var version = db.Entry(process).Property<uint>("Version").CurrentValue;
        context.Response.Headers.ETag = ETags.Of(version);
        return TypedResults.Ok(await ToDtoAsync(process, version, actor, db, workflow, clock.GetUtcNow(), cancellationToken));
    }

    private static async Task<Created<CommandAnswer>> StartAsync(StartProcessRequest request, HttpContext context, ProcessCommands commands, DecisionsDbContext db,
        CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        if (actor.Role != Role.Coordinator)
            throw DomainException.Forbidden("role-not-allowed", $"The role {actor.Role} may not start a process.");
        var deadline = request switch
        {
            { DeadlineDate: { } date, DeadlineAt: null } => Deadline.EndOfDay(date),
            { DeadlineAt: { } at, DeadlineDate: null } => Deadline.AtInstant(at),
            _ => throw DomainException.Invalid("deadline-required", "Give the deadline either as a date (deadlineDate) or as an instant (deadlineAt).", "deadlineDate"),
        };
        var region = request.Region ?? context.User.FindFirst(DecisionsClaims.Region)?.Value
            ?? await db.Regions.OrderBy(r => r.Code).Select(r => r.Code).FirstOrDefaultAsync(cancellationToken)
            ?? throw DomainException.NotFound("region-not-found", "No region is configured.");
        var command = new StartProcess(request.Title ?? "", request.Reference ?? "", request.ConceptText ?? "", deadline, request.Participants ?? [],
            request.SynchronizationWindowStart, request.DocumentUrl, request.DefinitionId, request.TimerOffsets);
        var answer = await commands.StartAsync(command, region, actor, CommandKey.From(context, "start", request), cancellationToken);
        context.Response.Headers.ETag = ETags.Of(answer.Version);
        return TypedResults.Created($"/api/processes/{answer.ProcessId}", Answer(answer));
    }

    private static Task<Ok<CommandAnswer>> ScheduleAsync(Guid id, string code, ScheduleRequest request, HttpContext context, ProcessCommands commands,
        DecisionWorkflow workflow, DecisionsDbContext db, CancellationToken cancellationToken) =>
        RunAsync(context, commands, id, "schedule", new { id, code, request }, async (process, actor, now) =>
        {
            workflow.Authorize(process, "Schedule", actor, code);
            var meetingId = request.MeetingId ?? throw DomainException.Invalid("meeting-required", "Choose one of the college's meetings (meetingId).", "meetingId");
            var meeting = await db.Meetings.FindAsync([meetingId], cancellationToken)
                ?? throw DomainException.Invalid("meeting-not-found", $"Meeting {meetingId} does not exist.", "meetingId");
            return workflow.Schedule(process, code, meeting, actor, now);
        }, cancellationToken);

    private static Task<Ok<CommandAnswer>> DecideAsync(Guid id, string code, DecisionRequest request, HttpContext context, ProcessCommands commands,
        DecisionWorkflow workflow, CancellationToken cancellationToken) =>
        RunAsync(context, commands, id, "decision", new { id, code, request }, (process, actor, now) =>
        {
            workflow.Authorize(process, request.Outcome == DecisionOutcome.Deferred ? "Defer" : "Decide", actor, code);
            var input = new DecisionInput(
                request.Outcome ?? throw DomainException.Invalid("outcome-required", "Say what the college decided (outcome).", "outcome"),
                request.ConceptVersion ?? throw DomainException.Invalid("concept-version-required", "Name the concept version the college decided on (conceptVersion).", "conceptVersion"),
                request.DecidedOn, request.Text, request.Reason);
            return Task.FromResult(workflow.RecordDecision(process, code, input, actor, now));
        }, cancellationToken);

    private static Task<Ok<CommandAnswer>> ReviseAsync(Guid id, ReviseConceptRequest request, HttpContext context, ProcessCommands commands, DecisionWorkflow workflow,
        CancellationToken cancellationToken) =>
        RunAsync(context, commands, id, "revise", new { id, request }, (process, actor, now) =>
            Task.FromResult(workflow.ReviseConcept(process, request.Text ?? "", request.DocumentUrl, request.Note, actor, now)), cancellationToken);

    private static Task<Ok<CommandAnswer>> ExtendAsync(Guid id, DeadlineRequest request, HttpContext context, ProcessCommands commands, DecisionWorkflow workflow,
        CancellationToken cancellationToken) =>
        RunAsync(context, commands, id, "deadline", new { id, request }, (process, actor, now) =>
        {
            workflow.Authorize(process, "ExtendDeadline", actor);
            var deadline = request switch
            {
                { Date: { } date, At: null } => Deadline.EndOfDay(date),
                { At: { } at, Date: null } => Deadline.AtInstant(at),
                _ => throw DomainException.Invalid("deadline-required", "Give the new deadline either as a date (date) or as an instant (at).", "date"),
            };
            return Task.FromResult(workflow.ExtendDeadline(process, deadline, request.Reason, actor, now));
        }, cancellationToken);

    private static Task<Ok<CommandAnswer>> PublishAsync(Guid id, PublishRequest request, HttpContext context, ProcessCommands commands, DecisionWorkflow workflow,
        CancellationToken cancellationToken) =>
        RunAsync(context, commands, id, "publish", new { id, request }, (process, actor, now) =>
            Task.FromResult(workflow.Publish(process, request.At, actor, now)), cancellationToken);

    private static Task<Ok<CommandAnswer>> CancelAsync(Guid id, CancelRequest request, HttpContext context, ProcessCommands commands, DecisionWorkflow workflow,
        CancellationToken cancellationToken) =>
        RunAsync(context, commands, id, "cancel", new { id, request }, (process, actor, now) =>
            Task.FromResult(workflow.Cancel(process, request.Reason, actor, now)), cancellationToken);

    private static async Task<IResult> AuditAsync(Guid id, HttpContext context, AuditExport export, DecisionsDbContext db, [FromQuery] string? format,
        CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        if (actor.Role is not (Role.Coordinator or Role.Auditor or Role.Admin))
            throw DomainException.Forbidden("audit-not-allowed", "Only coordinators, auditors and administrators read the audit trail.");
        if (!await db.Processes.Readable(actor, context.User.FindFirst(DecisionsClaims.Region)?.Value).AnyAsync(p => p.Id == id, cancellationToken))
            return TypedResults.NotFound(NotFoundProblem(id));
        return format switch
        {
            null or "json" => TypedResults.Json(await export.ToJsonAsync(id, actor, cancellationToken)),
            "csv" => TypedResults.Text(await export.ToCsvAsync(id, actor, cancellationToken), "text/csv; charset=utf-8"),
            _ => throw DomainException.Invalid("format-unknown", "The format is json or csv.", "format"),
        };
    }

    private static async Task<Ok<CommandAnswer>> RunAsync(HttpContext context, ProcessCommands commands, Guid id, string command, object payload,
        Func<DecisionProcess, Actor, DateTimeOffset, Task<CommandResult>> run, CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        var answer = await commands.ExecuteAsync(id, actor, CommandKey.From(context, command, payload), ETags.IfMatch(context.Request),
            (process, now) => run(process, actor, now), cancellationToken);
        context.Response.Headers.ETag = ETags.Of(answer.Version);
        return TypedResults.Ok(Answer(answer));
    }

    private static CommandAnswer Answer(CommandResponse r) => new(r.ProcessId, r.State, r.Version, r.Warnings, r.Replayed);

    private static ProblemDetails NotFoundProblem(Guid id) => new()
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Not found",
        Detail = $"Process {id} does not exist, or is not yours to see.",
        Extensions = { ["code"] = "process-not-found" },
    };

    private static int DaysLeft(DecisionProcess p, DateTimeOffset now) => (int)Math.Ceiling((p.DeadlineAt - now).TotalDays);

    private static async Task<ProcessDto> ToDtoAsync(DecisionProcess p, uint version, Actor actor, DecisionsDbContext db, DecisionWorkflow workflow, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var codes = p.Items.Select(i => i.MunicipalityCode).ToList();
        var withMeeting = await db.Meetings.AsNoTracking()
            .Where(m => codes.Contains(m.MunicipalityCode) && m.Status == MeetingStatus.Planned && m.StartsAt > now && m.StartsAt < p.DeadlineAt)
            .Select(m => m.MunicipalityCode).Distinct().ToListAsync(cancellationToken);
        var published = p.State == "Published" || (p.PublicationAt is { } at && at <= now && p.State != "PublicationPlanned");
        var items = p.Items.OrderBy(i => i.MunicipalityCode).Select(i =>
        {
            // Embargo: before publication a secretary or college sees the decisions of its own municipality only.
            var embargoed = !published && actor.Role is Role.Secretary or Role.College && !actor.ActsFor(i.MunicipalityCode);
            var latest = i.LatestDecision;
            return new ItemDto(i.MunicipalityCode, i.State, i.MeetingId is { } meetingId ? new MeetingRef(meetingId, i.MeetingStartsAt!.Value) : null, embargoed,
                embargoed || latest is null ? null : new DecisionDto(latest.Sequence, latest.ConceptVersion, latest.Outcome, latest.Text, latest.DecidedOn, latest.Reason, latest.RecordedAt),
                embargoed || latest is null ? null : p.IsIdentical(i),
                embargoed ? null : p.DiffOf(i),
                i.MeetingId is null && latest?.Outcome is not (DecisionOutcome.Adopted or DecisionOutcome.AdoptedWithAmendments or DecisionOutcome.Rejected) && !withMeeting.Contains(i.MunicipalityCode),
                embargoed ? 0 : i.Decisions.Count);
        }).ToList();
        return new ProcessDto(p.Id, p.Title, p.Reference, p.RegionCode, $"{p.DefinitionId}@{p.DefinitionVersion.ToString(CultureInfo.InvariantCulture)}", p.State, p.DeadlineAt,
            p.DeadlineDate, p.SynchronizationWindowStart, DaysLeft(p, now), p.PublicationAt, p.CurrentConcept.Number,
            p.Concepts.OrderBy(c => c.Number).Select(c => new ConceptDto(c.Number, c.Text, c.DocumentUrl, c.Note, c.CreatedAt)).ToList(),
            items, workflow.PermittedTriggers(p, null, actor, now), version);
    }
}

/// <summary>The problem answers a command can give, for the OpenAPI document.</summary>
public static class ProblemResponses
{
    public static RouteHandlerBuilder ProducesCommandProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed)
        .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}

/// <summary>Weak ETags from the row version (xmin); If-Match is honoured by every command.</summary>
public static class ETags
{
    public static string Of(uint version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    public static uint? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.FirstOrDefault();
        if (string.IsNullOrWhiteSpace(header) || header == "*")
            return null;
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        return uint.TryParse(value.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw DomainException.Invalid("if-match-invalid", $"If-Match '{header}' is not an ETag of this API.", "If-Match");
    }
}
