using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Foundation;

/// <summary>
/// The app's pooled connections are not reset when they go back to the pool (Database:ResetOnClose, default false):
/// the reset is seven statements before the first query of every use, and a process page uses a connection seven times.
/// That is safe only while the app keeps no session state on them, which the second test holds the source to.
/// </summary>
public sealed partial class PooledConnectionTests
{
    [TestCase(null, "64MB")]
    [TestCase("true", "4MB")]
    public async Task A_connection_taken_again_from_the_pool_is_reset_only_when_configured(string? resetOnClose, string workMemAfter)
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["Jobs:Server"] = "false" };
        if (resetOnClose is not null)
            settings["Database:ResetOnClose"] = resetOnClose;
        await using var app = new DecisionsAppFactory(database.App, settings);
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        // Session state set on one use of a pooled connection (here by hand; the app itself never does, below)…
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("SET work_mem = '64MB'");
        var backend = await db.Database.SqlQueryRaw<int>("SELECT pg_backend_pid() AS \"Value\"").SingleAsync();
        await db.Database.CloseConnectionAsync();
        // …is still there when the same connection is taken again (the app's background services use the pool too:
        // taken until it is the same server process) unless the pool resets it.
        string? workMem = null;
        for (var attempt = 0; attempt < 50 && workMem is null; attempt++)
        {
            await db.Database.OpenConnectionAsync();
            if (await db.Database.SqlQueryRaw<int>("SELECT pg_backend_pid() AS \"Value\"").SingleAsync() == backend)
                workMem = await db.Database.SqlQueryRaw<string>("SELECT current_setting('work_mem') AS \"Value\"").SingleAsync();
            await db.Database.CloseConnectionAsync();
        }
        Assert.That(workMem, Is.EqualTo(workMemAfter));
    }

    [Test]
    public void The_app_keeps_no_session_state_on_its_pooled_connections()
    {
        // Session-level SET (SET LOCAL ends with the transaction), LISTEN, temporary tables and session advisory locks
        // would outlive a use of a pooled connection that is not reset. The one session lock, the migration's, is taken
        // on a connection outside the pool (DatabaseExtensions.MigrateAsync: Pooling = false).
        var source = Path.Combine(Browser.BrowserApp.RepositoryRoot, "src");
        var files = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.That(files, Has.Count.GreaterThan(100), "the scan finds the sources");
        var found = files.SelectMany(f => File.ReadLines(f).Select(line => (File: Path.GetRelativePath(source, f), Text: line)))
            .Where(l => SessionState().IsMatch(l.Text))
            .Select(l => $"{l.File}: {l.Text.Trim()}") // without the line number: an edit above it does not fail the test
            .ToList();
        Assert.That(found, Is.EqualTo(new[] { "Drechtsteden.Decisions.Web/Data/DatabaseExtensions.cs: await using (var take = new NpgsqlCommand($\"SELECT pg_advisory_lock({MigrationLockKey})\", gate))" }),
            "statements that leave state on the session (only the migration's lock, on its unpooled connection, may)");
    }

    [GeneratedRegex(@"(?i)(["";{]\s*SET\s+(SESSION\s+)?(?!LOCAL\b)[a-z_.]+\s*(=|TO\b))|\bLISTEN\s|\bCREATE\s+(TEMP|TEMPORARY)\b|pg_(try_)?advisory_lock(_shared)?\s*\(")]
    private static partial Regex SessionState();
}
