using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Foundation;

/// <summary>
/// The pool of request contexts keeps as many as there are connections for them. With EF Core's default (1,024) a
/// pile-up of requests — the soak's stalls, when arrivals go on while PostgreSQL checkpoints — made a context for each
/// and the pool kept them all: the live heap at rest grew with the worst pile-up (issue 19, session 17).
/// </summary>
public sealed class ContextPoolTests
{
    [Test]
    public async Task The_pool_keeps_no_more_request_contexts_than_there_are_connections()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        var connections = new NpgsqlConnectionStringBuilder(database.App).MaxPoolSize;
        const int pileUp = 300;
        Assert.That(connections, Is.LessThan(pileUp), "the pile-up is larger than the connection pool");

        // A pile-up: many requests at once, each with its context; then all of them end, and as many come again.
        var scopes = Enumerable.Range(0, pileUp).Select(_ => app.Services.CreateAsyncScope()).ToList();
        var first = scopes.Select(s => s.ServiceProvider.GetRequiredService<DecisionsDbContext>()).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var scope in scopes)
            await scope.DisposeAsync();
        var again = Enumerable.Range(0, pileUp).Select(_ => app.Services.CreateAsyncScope()).ToList();
        var reused = again.Count(s => first.Contains(s.ServiceProvider.GetRequiredService<DecisionsDbContext>()));
        foreach (var scope in again)
            await scope.DisposeAsync();

        Assert.That(reused, Is.GreaterThan(0), "contexts are pooled");
        Assert.That(reused, Is.LessThanOrEqualTo(connections), "the pool kept more contexts than there are connections");
    }
}
