using System.Text.Json;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Drechtsteden.Decisions.Web.Health;

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddDecisionsHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);
        return services;
    }

    /// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: it can serve, or says why not.</summary>
    public static IEndpointRouteBuilder MapDecisionsHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false, ResponseWriter = WriteJson });
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteJson });
        return app;
    }

    /// <summary>
    /// The status for everyone (load balancers, probes); the checks' descriptions — which may name the database's host,
    /// port and user — only for a signed-in administrator.
    /// </summary>
    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var details = context.User.IsInRole(nameof(Role.Admin));
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = details ? e.Value.Description : null }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}

internal sealed class DatabaseHealthCheck(DecisionsDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy("PostgreSQL answers and the schema is up to date.")
                : HealthCheckResult.Unhealthy(
                    $"PostgreSQL answers, but {pending.Count} migration(s) are not applied ({string.Join(", ", pending)}); run the 'migrate' verb.");
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e))
        {
            return HealthCheckResult.Unhealthy(DatabaseExtensions.DescribeConnectionFailure(db.Database.GetConnectionString(), e));
        }
    }
}
