using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Data.Embedded;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>
/// One throw-away PostgreSQL cluster for the whole test run, started through the same embedded mechanism as the app.
/// A template database is migrated once; every fixture gets its own copy of it (CREATE DATABASE … TEMPLATE), which
/// takes milliseconds and keeps fixtures from seeing each other's rows.
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
        await using var db = CreateContext(_cluster.ConnectionString);
        await db.Database.MigrateAsync();
    }

    public static async Task StopClusterAsync()
    {
        if (_cluster is null)
            return;
        await _cluster.DisposeAsync();
        Directory.Delete(_cluster.RootDirectory, recursive: true);
    }

    /// <summary>A new database with the current schema; returns its connection string.</summary>
    public static Task<string> CreateMigratedDatabaseAsync() => CreateDatabaseAsync(TemplateName);

    /// <summary>A new database without any schema.</summary>
    public static Task<string> CreateEmptyDatabaseAsync() => CreateDatabaseAsync("template0");

    public static DecisionsDbContext CreateContext(string connectionString)
    {
        var options = new DbContextOptionsBuilder<DecisionsDbContext>();
        options.UseDecisionsDatabase(connectionString);
        return new DecisionsDbContext(options.Options);
    }

    private static async Task<string> CreateDatabaseAsync(string template)
    {
        var name = $"test_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(Cluster.ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        // A template must have no other sessions while it is copied; pooled connections of the template are closed first.
        NpgsqlConnection.ClearAllPools();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", connection);
        await create.ExecuteNonQueryAsync();
        return Cluster.ConnectionStringFor(name);
    }
}
