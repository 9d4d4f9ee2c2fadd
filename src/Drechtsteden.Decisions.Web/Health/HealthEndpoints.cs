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
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<MemoryHealthCheck>("memory", tags: [ReadyTag]);
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
            checks = report.Entries.Select(e => new
            {
                name = e.Key, status = e.Value.Status.ToString(), description = details ? e.Value.Description : null,
                data = details && e.Value.Data.Count > 0 ? e.Value.Data : null,
            }),
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

/// <summary>
/// Memory, for operators (and the benchmark's soak): the managed heap after the last garbage collection, the
/// process's resident memory and the collections so far. Always healthy: memory is watched, not a reason to stop serving.
/// </summary>
internal sealed class MemoryHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var info = GC.GetGCMemoryInfo();
        // The live heap is best seen after a full collection (a gen-0 one leaves older garbage counted): the latest of a
        // blocking and a background gen-2 collection, 0 before the first.
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var full = blocking.Index >= background.Index ? blocking : background;
        var resident = Environment.WorkingSet;
        var data = new Dictionary<string, object>
        {
            ["heapAfterLastCollectionBytes"] = info.HeapSizeBytes,
            ["heapAfterLastFullCollectionBytes"] = full.Index == 0 ? 0L : full.HeapSizeBytes,
            ["residentBytes"] = resident,
            ["committedBytes"] = info.TotalCommittedBytes,
            ["collections"] = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) },
            ["serverGc"] = System.Runtime.GCSettings.IsServerGC,
        };
        return Task.FromResult(HealthCheckResult.Healthy(
            $"Managed heap after the last collection {info.HeapSizeBytes / 1048576.0:0.0} MB, resident {resident / 1048576.0:0} MB.", data));
    }
}
