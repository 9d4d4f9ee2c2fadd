using Drechtsteden.Decisions.Web.Data.Embedded;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Apply pending migrations when the host starts. Null means: only in the embedded or Development default.</summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>
    /// Statements the app sends this often are prepared on their connection (Npgsql's automatic preparation), so
    /// PostgreSQL parses and plans a command's queries once per connection instead of on every command. 0 switches it
    /// off (needed behind a transaction-pooling PgBouncer older than 1.21). A "Max Auto Prepare" in the connection
    /// string wins.
    /// </summary>
    public int MaxAutoPrepare { get; set; } = 64;

    /// <summary>
    /// Whether a pooled connection is reset (RESET ALL, DISCARD SEQUENCES/TEMP, advisory locks released…) before its next
    /// use. The app keeps no session state on its pooled connections — no SET, LISTEN, temporary tables or session
    /// advisory locks (the migration's lock is held on a connection of its own, outside the pool) — so by default it is
    /// not: the reset is seven statements PostgreSQL parses and runs before every first query after a connection is
    /// taken from the pool, and a process page takes one seven times. A "No Reset On Close" in the connection string wins.
    /// </summary>
    public bool ResetOnClose { get; set; }

    /// <summary>
    /// The most connections the app holds to PostgreSQL at once (Npgsql's Max Pool Size), and so the most request
    /// contexts its pool keeps. Commands run 16 at once (Auth:CommandConcurrency); reads and the background services
    /// share the rest. More would only queue inside PostgreSQL on a small server, and every connection kept costs memory
    /// on both sides: the app keeps its buffers, prepared statements and a pooled context with it (≈ 80 KB, gcdump). With
    /// 100, the soak's stalls left the pools at their peak and the live heap at rest 20 % higher (README, issue 19). A
    /// "Maximum Pool Size" in the connection string wins.
    /// </summary>
    public int MaxConnections { get; set; } = 32;

    /// <summary>
    /// A connection not needed for this long is closed (Npgsql's Connection Idle Lifetime; it prunes every 10 s down to
    /// the fewest that were idle in that time): what a burst opened is given back about a minute after it. A "Connection
    /// Idle Lifetime" in the connection string wins.
    /// </summary>
    public int ConnectionIdleSeconds { get; set; } = 60;

    public EmbeddedPostgresOptions Embedded { get; set; } = new();
}

/// <summary>What the host learned about its database while starting.</summary>
public sealed record DatabaseStartup(bool Embedded, bool MigrateOnStart, string AppConnectionString, string OwnerConnectionString);

public static class DatabaseExtensions
{
    public const string ConnectionName = "Decisions";

    /// <summary>Optional: the schema owner's connection string, used for migrations. Without it the app's is used.</summary>
    public const string OwnerConnectionName = "DecisionsOwner";

    /// <summary>
    /// Registers the DbContext on <c>ConnectionStrings:Decisions</c>. Without one, starts the embedded cluster first and
    /// uses it; the caller owns (and disposes, which stops) the returned cluster.
    /// </summary>
    /// <param name="verb">A command-line verb runs: beside a running app it uses that app's embedded server.</param>
    public static async Task<EmbeddedPostgresCluster?> AddDecisionsDatabaseAsync(this WebApplicationBuilder builder, bool verb = false, CancellationToken cancellationToken = default)
    {
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        options.Embedded.AttachToRunning = verb;
        EmbeddedPostgresCluster? cluster = null;
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            using var loggerFactory = LoggerFactory.Create(logging => logging.AddConsole());
            cluster = EmbeddedPostgresCluster.Create(options.Embedded, loggerFactory.CreateLogger<EmbeddedPostgresCluster>());
            try
            {
                await cluster.StartAsync(cancellationToken);
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
            connectionString = cluster.AppConnectionString;
            builder.Configuration[$"ConnectionStrings:{ConnectionName}"] = connectionString;
            builder.Configuration[$"ConnectionStrings:{OwnerConnectionName}"] = cluster.OwnerConnectionString;
        }
        ValidateConnectionString(connectionString);
        var ownerConnectionString = builder.Configuration.GetConnectionString(OwnerConnectionName);
        if (string.IsNullOrWhiteSpace(ownerConnectionString))
            ownerConnectionString = connectionString;
        ValidateConnectionString(ownerConnectionString, OwnerConnectionName);

        var migrate = options.MigrateOnStart ?? (cluster is not null || builder.Environment.IsDevelopment());
        builder.Services.AddSingleton(new DatabaseStartup(cluster is not null, migrate, connectionString, ownerConnectionString));
        var appConnectionString = new NpgsqlConnectionStringBuilder(connectionString);
        // What the connection string sets wins over the options.
        if (!Sets(connectionString, "maxautoprepare"))
            appConnectionString.MaxAutoPrepare = options.MaxAutoPrepare;
        if (!Sets(connectionString, "noresetonclose"))
            appConnectionString.NoResetOnClose = !options.ResetOnClose;
        if (!Sets(connectionString, "maximumpoolsize", "maxpoolsize"))
            appConnectionString.MaxPoolSize = options.MaxConnections;
        if (!Sets(connectionString, "connectionidlelifetime"))
            appConnectionString.ConnectionIdleLifetime = options.ConnectionIdleSeconds;
        // Pooled: a request's context is reset and reused rather than built with its services from the container (that
        // was ≈ 9 % of the app's CPU for a read of the process resource, profiled). Its own state (the command read) is
        // cleared before each use (CommandPipeline.LockAsync); EF Core resets the change tracker's settings on return.
        // The pool keeps as many contexts as there are connections for them (Database:MaxConnections), not EF Core's
        // 1,024: a pile-up of requests (the soak's stalls) made a context for each, and the pool kept them all.
        builder.Services.AddDbContextPool<DecisionsDbContext>(db => db.UseDecisionsDatabase(appConnectionString.ConnectionString), ContextPoolSize(appConnectionString));
        return cluster;
    }

    /// <summary>Whether the connection string itself sets one of these keywords (compared without spaces, in lower case).</summary>
    private static bool Sets(string connectionString, params string[] keywords) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => keywords.Contains(key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()));

    /// <summary>How many request contexts the pool keeps: one per connection the app may open.</summary>
    public static int ContextPoolSize(NpgsqlConnectionStringBuilder connection) => connection.MaxPoolSize;

    public static DbContextOptionsBuilder UseDecisionsDatabase(this DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    public static void ValidateConnectionString(string connectionString, string name = ConnectionName)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new StartupException($"ConnectionStrings__{name} is not a valid PostgreSQL connection string: {e.Message}", e);
        }
    }

    /// <summary>Applies pending migrations as the host is configured to (owner role for DDL, grants for the app role).</summary>
    public static Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var startup = services.GetRequiredService<DatabaseStartup>();
        return MigrateAsync(startup.OwnerConnectionString, startup.AppConnectionString, cancellationToken);
    }

    /// <summary>The advisory lock of the migration step (released when its connection closes).</summary>
    public const long MigrationLockKey = 0x44445F4D49475254; // "DD_MIGRT"

    /// <summary>
    /// Applies pending migrations as the schema owner, then gives the app role what it needs and no more: read and
    /// write on the tables, but only INSERT and SELECT on the audit trail. Turns "cannot connect" into one sentence.
    /// </summary>
    public static async Task MigrateAsync(string ownerConnectionString, string appConnectionString, CancellationToken cancellationToken = default)
    {
        var options = new DbContextOptionsBuilder<DecisionsDbContext>();
        options.UseDecisionsDatabase(ownerConnectionString);
        await using var db = new DecisionsDbContext(options.Options);
        try
        {
            // Several instances may start (and migrate) at once: the whole step — EF's migrations, Hangfire's schema, the
            // grants — runs under one session-level advisory lock, so concurrent GRANTs cannot collide.
            // Not pooled: closing the connection must end the session, and with it the lock.
            await using var gate = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ownerConnectionString) { Pooling = false }.ConnectionString);
            await gate.OpenAsync(cancellationToken);
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", gate))
                await take.ExecuteNonQueryAsync(cancellationToken);
            // Creating the history table first keeps EF from logging a failed query against it on a brand-new database.
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
            await using (var connection = new NpgsqlConnection(ownerConnectionString))
            {
                // Hangfire's own tables, in their own schema, installed (and upgraded) as the owner like ours.
                await connection.OpenAsync(cancellationToken);
                Hangfire.PostgreSql.PostgreSqlObjectsInstaller.Install(connection, DatabaseRoles.HangfireSchema);
            }
            await DatabaseRoles.GrantAppRoleAsync(db, new NpgsqlConnectionStringBuilder(ownerConnectionString).Username,
                new NpgsqlConnectionStringBuilder(appConnectionString).Username, cancellationToken);
        }
        catch (Exception e) when (IsDatabaseError(e))
        {
            var setting = ownerConnectionString == appConnectionString ? ConnectionName : OwnerConnectionName;
            throw new StartupException(DescribeConnectionFailure(ownerConnectionString, e, setting), e);
        }
    }

    /// <summary>
    /// True when the exception (or one it wraps, as EF does) says the server cannot be used right now: no connection,
    /// a connection lost, the server shutting down or out of resources, a refused login. An error about the statement
    /// itself (a value too long, a constraint) is not: it would fail again, and is the request's or the code's.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception e) => FindDatabaseError(e) switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal)
            || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState.StartsWith("28", StringComparison.Ordinal) || p.SqlState == PostgresErrorCodes.InvalidCatalogName,
        NpgsqlException => true,
        _ => e is TimeoutException,
    };

    /// <summary>Any error that came from (or on the way to) PostgreSQL, including errors about a statement.</summary>
    public static bool IsDatabaseError(Exception e) => FindDatabaseError(e) is not null || e is TimeoutException;

    private static Exception? FindDatabaseError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException)
                return e;
        }
        return null;
    }

    public static string DescribeConnectionFailure(string? connectionString, Exception error, string setting = ConnectionName)
    {
        var e = FindDatabaseError(error) ?? error;
        var target = "the configured server";
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            target = $"{parsed.Host}:{parsed.Port} (database '{parsed.Database}', user '{parsed.Username}')";
        }
        catch (ArgumentException)
        {
            // the reason below still says what went wrong
        }
        var reason = e switch
        {
            PostgresException { SqlState: "28P01" } => "the password was refused",
            PostgresException { SqlState: "3D000" } => "the database does not exist",
            PostgresException { SqlState: "42501" } p => $"{p.MessageText} (migrations need the schema owner: set ConnectionStrings__{OwnerConnectionName})",
            PostgresException p => p.MessageText,
            _ when e.InnerException is not null => $"{e.Message.TrimEnd('.')} ({e.InnerException.Message})",
            _ => e.Message,
        };
        return $"Cannot use PostgreSQL at {target}: {reason}. Check ConnectionStrings__{setting}, or unset the connection strings to use the embedded PostgreSQL.";
    }
}
