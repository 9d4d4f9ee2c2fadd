using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Data.Embedded;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>A test database and how each role reaches it.</summary>
public sealed record TestDatabase(string Name, string App, string Owner, string Superuser);

/// <summary>
/// One throw-away PostgreSQL cluster for the whole test run, started through the same embedded mechanism as the app.
/// A template database is migrated once (as the owner role, with the app role's grants); every fixture gets its own
/// copy of it (CREATE DATABASE … TEMPLATE), which takes milliseconds and keeps fixtures from seeing each other's rows.
/// </summary>
public static class TestPostgres
{
    private const string TemplateName = "decisions_template";
    private static EmbeddedPostgresCluster? _cluster;
    private static int _counter;

    public static EmbeddedPostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("The test cluster is not running.");

    public static async Task StartClusterAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"drechtsteden-tests-{Guid.NewGuid():N}");
        _cluster = EmbeddedPostgresCluster.Create(new EmbeddedPostgresOptions { DataDirectory = directory, DatabaseName = TemplateName, Durable = false });
        await _cluster.StartAsync();
        await DatabaseExtensions.MigrateAsync(_cluster.OwnerConnectionString, _cluster.AppConnectionString);
    }

    public static async Task StopClusterAsync()
    {
        if (_cluster is null)
            return;
        NpgsqlConnection.ClearAllPools();
        await _cluster.DisposeAsync();
        Directory.Delete(_cluster.RootDirectory, recursive: true);
    }

    /// <summary>A new database with the current schema; returns the app role's connection string.</summary>
    public static async Task<string> CreateMigratedDatabaseAsync() => (await CreateDatabaseAsync()).App;

    /// <summary>A new database with the current schema, reachable as app, owner and superuser.</summary>
    public static Task<TestDatabase> CreateDatabaseAsync() => CreateFromTemplateAsync(TemplateName);

    /// <summary>A new database without any schema, owned by the owner role.</summary>
    public static Task<TestDatabase> CreateEmptyDatabaseAsync() => CreateFromTemplateAsync("template0");

    public static DecisionsDbContext CreateContext(string connectionString)
    {
        var options = new DbContextOptionsBuilder<DecisionsDbContext>();
        options.UseDecisionsDatabase(connectionString);
        return new DecisionsDbContext(options.Options);
    }

    private static async Task<TestDatabase> CreateFromTemplateAsync(string template)
    {
        var name = $"test_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(Cluster.ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        // A template must have no other sessions while it is copied; pooled connections of the template are closed first.
        NpgsqlConnection.ClearAllPools();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" OWNER {EmbeddedPostgresCluster.OwnerRole}", connection);
        await create.ExecuteNonQueryAsync();
        return new TestDatabase(name,
            Cluster.ConnectionStringFor(name, EmbeddedPostgresCluster.AppRole),
            Cluster.ConnectionStringFor(name, EmbeddedPostgresCluster.OwnerRole),
            Cluster.ConnectionStringFor(name));
    }
}
