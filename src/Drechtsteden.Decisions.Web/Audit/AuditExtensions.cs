using Drechtsteden.Decisions.Web.Data;

namespace Drechtsteden.Decisions.Web.Audit;

public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Folder for the checkpoints (one JSON line each). Keep it off the database server: that is the point.</summary>
    public string CheckpointDirectory { get; set; } = Path.Combine(".data", "audit-checkpoints");

    /// <summary>Optional URL that receives every checkpoint as a JSON POST (a second, independent witness).</summary>
    public Uri? CheckpointUrl { get; set; }

    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(5);
}

public static class AuditExtensions
{
    public static IServiceCollection AddAuditTrail(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AuditOptions.Section).Get<AuditOptions>() ?? new AuditOptions();
        services.AddSingleton(options);
        services.AddSingleton(configuration.GetSection(AppOptions.Section).Get<AppOptions>() ?? new AppOptions());
        services.AddHttpClient();
        services.AddScoped<AuditRequestContext>();
        services.AddScoped<AuditTrail>();
        services.AddScoped<AuditVerifier>();
        services.AddScoped<AuditExport>();
        services.AddSingleton<AuditCheckpoints>();
        services.AddHostedService<AuditCheckpointService>();
        return services;
    }

    /// <summary>Every audited change knows the request it came from: its correlation id and the client's address.</summary>
    public static IApplicationBuilder UseAuditRequestContext(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var audit = context.RequestServices.GetRequiredService<AuditRequestContext>();
        audit.CorrelationId = context.Request.Headers["X-Correlation-Id"].FirstOrDefault() is { Length: > 0 and <= 200 } id ? id : context.TraceIdentifier;
        audit.ClientAddress = context.Connection.RemoteIpAddress?.ToString();
        context.Response.Headers["X-Correlation-Id"] = audit.CorrelationId;
        await next(context);
    });

    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/audit/verify", VerifyAsync).WithName("VerifyAudit").WithTags("Audit")
            .RequireAuthorization(policy => policy.RequireRole(nameof(Role.Coordinator), nameof(Role.Auditor), nameof(Role.Admin)));
        return api;
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<AuditVerification>> VerifyAsync(AuditVerifier verifier, CancellationToken cancellationToken) =>
        TypedResults.Ok(await verifier.VerifyAsync(cancellationToken: cancellationToken));
}

/// <summary>Writes a checkpoint of the chain heads at a fixed interval (and once at start-up).</summary>
internal sealed class AuditCheckpointService(AuditCheckpoints checkpoints, AuditOptions options, IServiceScopeFactory scopes, ILogger<AuditCheckpointService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckpointInterval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var written = await checkpoints.WriteAsync(scope.ServiceProvider.GetRequiredService<DecisionsDbContext>(), stoppingToken);
                if (written > 0)
                    logger.LogInformation("Audit checkpoint of {Chains} chain heads written to {Directory}", written, options.CheckpointDirectory);
            }
            catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e) || e is IOException)
            {
                logger.LogWarning("Audit checkpoint skipped: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
