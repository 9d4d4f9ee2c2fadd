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
        var connections = AppConnection(app).MaxPoolSize;
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

    /// <summary>
    /// The connections are bounded by what the app can use (Database:MaxConnections, 32) and a burst's connections are
    /// given back after a minute idle: with Npgsql's 100 and 300 s, a full-size soak with stalls ended with 72 more
    /// pooled contexts and connections than it began with (+20 % live heap at rest, gcdump; issue 19, session 18).
    /// </summary>
    [Test]
    public async Task Connections_are_bounded_and_given_back_when_idle_unless_the_connection_string_says_otherwise()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using (var app = new DecisionsAppFactory(database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false" }))
        {
            var connection = AppConnection(app);
            Assert.That(connection.MaxPoolSize, Is.EqualTo(new DatabaseOptions().MaxConnections).And.EqualTo(32));
            Assert.That(connection.ConnectionIdleLifetime, Is.EqualTo(60));
            Assert.That(DatabaseExtensions.ContextPoolSize(connection), Is.EqualTo(32));
        }

        var own = new NpgsqlConnectionStringBuilder(database.App) { MaxPoolSize = 12, ConnectionIdleLifetime = 20 }.ConnectionString;
        await using (var app = new DecisionsAppFactory(own, new Dictionary<string, string?> { ["Jobs:Server"] = "false", ["Database:MaxConnections"] = "50" }))
        {
            var connection = AppConnection(app);
            Assert.That(connection.MaxPoolSize, Is.EqualTo(12), "the connection string wins");
            Assert.That(connection.ConnectionIdleLifetime, Is.EqualTo(20));
        }
    }

    /// <summary>The connection string the app's request contexts use, as the app set it up.</summary>
    private static NpgsqlConnectionStringBuilder AppConnection(DecisionsAppFactory app)
    {
        using var scope = app.Services.CreateScope();
        return new NpgsqlConnectionStringBuilder(Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetConnectionString(
            scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().Database));
    }
}
