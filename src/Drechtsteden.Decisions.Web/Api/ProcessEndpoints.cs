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
        processes.MapGet("/", ListAsync).WithName("ListProcesses").ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        processes.MapPost("/", StartAsync).WithName("StartProcess").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapGet("/{id:guid}", GetAsync).WithName("GetProcess");
        processes.MapPost("/{id:guid}/concepts", ReviseAsync).WithName("ReviseConcept").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/deadline", ExtendAsync).WithName("ExtendDeadline").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/publish", PublishAsync).WithName("Publish").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelProcess").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/items/{code}/schedule", ScheduleAsync).WithName("ScheduleItem").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/items/{code}/decision", DecideAsync).WithName("RecordDecision").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapGet("/{id:guid}/audit", AuditAsync).WithName("ExportProcessAudit")
            .Produces<System.Text.Json.Nodes.JsonArray>(StatusCodes.Status200OK, "application/json", "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static Actor ActorOf(HttpContext context) =>
        context.User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");

    private static string? RegionOf(HttpContext context) => context.User.FindFirst(DecisionsClaims.Region)?.Value;

    /// <summary>By deadline, <paramref name="limit"/> at a time (default 100, at most 500), from <paramref name="offset"/>.</summary>
    private static async Task<Ok<List<ProcessSummary>>> ListAsync(HttpContext context, ProcessService processes, int? offset, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await processes.ListAsync(ActorOf(context), RegionOf(context), offset ?? 0, limit ?? ProcessService.DefaultPageSize, cancellationToken));

    private static async Task<Results<Ok<ProcessDto>, NotFound<ProblemDetails>>> GetAsync(Guid id, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken)
    {
        var process = await processes.GetAsync(id, ActorOf(context), RegionOf(context), cancellationToken);
        if (process is null)
            return TypedResults.NotFound(NotFoundProblem(id));
        context.Response.Headers.ETag = ETags.Of(process.Version);
        return TypedResults.Ok(process);
    }

    private static async Task<Created<CommandAnswer>> StartAsync(StartProcessRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken)
    {
        var answer = await processes.StartAsync(request, ActorOf(context), RegionOf(context), CommandKey.From(context, "start", request), cancellationToken);
        context.Response.Headers.ETag = ETags.Of(answer.Version);
        return TypedResults.Created($"/api/processes/{answer.ProcessId}", Answer(answer));
    }

    private static Task<Ok<CommandAnswer>> ScheduleAsync(Guid id, string code, ScheduleRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken) =>
        RunAsync(context, "schedule", new { id, code, request }, (actor, key, version) => processes.ScheduleAsync(id, code, request, actor, key, version, cancellationToken));

    private static Task<Ok<CommandAnswer>> DecideAsync(Guid id, string code, DecisionRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken) =>
        RunAsync(context, "decision", new { id, code, request }, (actor, key, version) => processes.DecideAsync(id, code, request, actor, key, version, cancellationToken));

    private static Task<Ok<CommandAnswer>> ReviseAsync(Guid id, ReviseConceptRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken) =>
        RunAsync(context, "revise", new { id, request }, (actor, key, version) => processes.ReviseAsync(id, request, actor, key, version, cancellationToken));

    private static Task<Ok<CommandAnswer>> ExtendAsync(Guid id, DeadlineRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken) =>
        RunAsync(context, "deadline", new { id, request }, (actor, key, version) => processes.ExtendAsync(id, request, actor, key, version, cancellationToken));

    private static Task<Ok<CommandAnswer>> PublishAsync(Guid id, PublishRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken) =>
        RunAsync(context, "publish", new { id, request }, (actor, key, version) => processes.PublishAsync(id, request, actor, key, version, cancellationToken));

    private static Task<Ok<CommandAnswer>> CancelAsync(Guid id, CancelRequest request, HttpContext context, ProcessService processes,
        CancellationToken cancellationToken) =>
        RunAsync(context, "cancel", new { id, request }, (actor, key, version) => processes.CancelAsync(id, request, actor, key, version, cancellationToken));

    private static async Task<IResult> AuditAsync(Guid id, HttpContext context, AuditExport export, DecisionsDbContext db, [FromQuery] string? format,
        CancellationToken cancellationToken)
    {
        var actor = ActorOf(context);
        if (actor.Role is not (Role.Coordinator or Role.Auditor or Role.Admin))
            throw DomainException.Forbidden("audit-not-allowed", "Only coordinators, auditors and administrators read the audit trail.");
        if (!await db.Processes.Readable(actor, RegionOf(context)).AnyAsync(p => p.Id == id, cancellationToken))
            return TypedResults.NotFound(NotFoundProblem(id));
        return format switch
        {
            null or "json" => TypedResults.Json(await export.ToJsonAsync(id, actor, cancellationToken)),
            "csv" => TypedResults.Text(await export.ToCsvAsync(id, actor, cancellationToken), "text/csv; charset=utf-8"),
            _ => throw DomainException.Invalid("format-unknown", "The format is json or csv.", "format"),
        };
    }

    private static async Task<Ok<CommandAnswer>> RunAsync(HttpContext context, string command, object payload,
        Func<Actor, CommandKey, uint?, Task<CommandResponse>> run)
    {
        var answer = await run(ActorOf(context), CommandKey.From(context, command, payload), ETags.IfMatch(context.Request));
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
