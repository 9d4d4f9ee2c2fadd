using System.Globalization;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Api;

/// <summary>The regional processes: read them, start them, and every command of the workflow.</summary>
public static class ProcessEndpoints
{
    public static RouteGroupBuilder MapProcessEndpoints(this RouteGroupBuilder api)
    {
        var processes = api.MapGroup("/processes").WithTags("Processes");
        processes.MapGet("/", ListAsync).WithName("ListProcesses").Produces<List<ProcessSummary>>().ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        processes.MapPost("/", StartAsync).WithName("StartProcess").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapGet("/{id:guid}", GetAsync).WithName("GetProcess").Produces<ProcessDto>();
        processes.MapPost("/{id:guid}/concepts", ReviseAsync).WithName("ReviseConcept").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/deadline", ExtendAsync).WithName("ExtendDeadline").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/publish", PublishAsync).WithName("Publish").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/target-week", PlanTargetWeekAsync).WithName("PlanTargetWeek").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelProcess").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/items/{code}/schedule", ScheduleAsync).WithName("ScheduleItem").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/items/{code}/decision", DecideAsync).WithName("RecordDecision").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapPost("/{id:guid}/items/{code}/council", ConfirmCouncilAsync).WithName("ConfirmCouncil").ProducesCommandProblems().RequireRateLimiting(Auth.AuthExtensions.CommandLimit);
        processes.MapGet("/{id:guid}/audit", AuditAsync).WithName("ExportProcessAudit")
            .Produces<System.Text.Json.Nodes.JsonArray>(StatusCodes.Status200OK, "application/json", "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static Actor ActorOf(HttpContext context) =>
        context.User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");

    private static string? RegionOf(HttpContext context) => context.User.FindFirst(DecisionsClaims.Region)?.Value;

    /// <summary>By deadline, <paramref name="limit"/> at a time (default 100, at most 500), from <paramref name="offset"/>.</summary>
    private static async Task<ApiJson.Generated<List<ProcessSummary>>> ListAsync(HttpContext context, ProcessQueries processes, int? offset, int? limit, string? q, CancellationToken cancellationToken) =>
        ApiJson.Ok(await processes.ListAsync(ActorOf(context), RegionOf(context), offset ?? 0, limit ?? ProcessQueries.DefaultPageSize, q, cancellationToken), ApiJson.Default.ListProcessSummary);

    private static async Task<Results<ApiJson.Generated<ProcessDto>, NotFound<ProblemDetails>>> GetAsync(Guid id, HttpContext context, ProcessQueries processes,
        CancellationToken cancellationToken)
    {
        var process = await processes.GetAsync(id, ActorOf(context), RegionOf(context), cancellationToken);
        if (process is null)
            return TypedResults.NotFound(NotFoundProblem(id));
        context.Response.Headers.ETag = ETags.Of(process.Version);
        return ApiJson.Ok(process, ApiJson.Default.ProcessDto);
    }

    private static async Task<Created<CommandAnswer>> StartAsync(StartProcess request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken)
    {
        var answer = await pipeline.StartAsync(request, ActorOf(context), RegionOf(context), CommandKey.From(context, StartProcess.Command, request), cancellationToken);
        context.Response.Headers.ETag = ETags.Of(answer.Version);
        return TypedResults.Created($"/api/processes/{answer.ProcessId}", answer);
    }

    private static Task<Ok<CommandAnswer>> ScheduleAsync(Guid id, string code, ScheduleItem request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request with { Municipality = code }, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> DecideAsync(Guid id, string code, RecordDecision request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request with { Municipality = code }, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> ConfirmCouncilAsync(Guid id, string code, ConfirmCouncil request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request with { Municipality = code }, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> ReviseAsync(Guid id, ReviseConcept request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> ExtendAsync(Guid id, ExtendDeadline request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> PublishAsync(Guid id, Publish request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> PlanTargetWeekAsync(Guid id, PlanTargetWeek request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request, context, pipeline, cancellationToken);

    private static Task<Ok<CommandAnswer>> CancelAsync(Guid id, CancelProcess request, HttpContext context, CommandPipeline pipeline,
        CancellationToken cancellationToken) =>
        RunAsync(id, request, context, pipeline, cancellationToken);

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
            "csv-excel" => TypedResults.File(await export.ToExcelCsvAsync(id, actor, cancellationToken), "text/csv; charset=utf-8", $"audittrail-{id}.csv"),
            _ => throw DomainException.Invalid("format-unknown", "The format is json, csv or csv-excel.", "format"),
        };
    }

    /// <summary>Every process command the same way: the command record as the body, the route's process (and item), If-Match and Idempotency-Key.</summary>
    private static async Task<Ok<CommandAnswer>> RunAsync(Guid id, ProcessCommand command, HttpContext context, CommandPipeline pipeline, CancellationToken cancellationToken)
    {
        var key = CommandKey.From(context, command.Command, new { id, command = (object)command, municipality = (command as ItemCommand)?.Municipality });
        var answer = await pipeline.RunAsync(id, command, ActorOf(context), key, ETags.IfMatch(context.Request), cancellationToken);
        context.Response.Headers.ETag = ETags.Of(answer.Version);
        return TypedResults.Ok(answer);
    }

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
