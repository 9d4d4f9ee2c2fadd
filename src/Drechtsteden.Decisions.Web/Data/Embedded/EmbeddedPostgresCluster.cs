using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Data.Embedded;

public sealed class EmbeddedPostgresOptions
{
    /// <summary>Folder that holds the cluster (<c>pgdata/</c>) and its superuser secret. Relative paths start at the working directory.</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one at every start.</summary>
    public int Port { get; set; }

    /// <summary>Folder with initdb and pg_ctl; empty means PATH, then /usr/lib/postgresql/*/bin.</summary>
    public string? BinDirectory { get; set; }

    public string DatabaseName { get; set; } = "decisions";

    /// <summary>The unprivileged account that runs the server when the host runs as root.</summary>
    public string ServiceUser { get; set; } = "postgres";

    /// <summary>False for throw-away test clusters: no fsync, faster, and lost on a machine crash.</summary>
    public bool Durable { get; set; } = true;

    /// <summary>
    /// For command-line verbs: when a running app owns the folder, use its server (never stop it). The app itself
    /// refuses to start on a folder another live app owns.
    /// </summary>
    public bool AttachToRunning { get; set; }
}

/// <summary>
/// A private PostgreSQL cluster started from the machine's server binaries: the default when no connection string
/// is configured, and the test suite's database. It listens on 127.0.0.1 only, keeps its data between runs, recovers
/// from a server or lock file left behind by a crash, and is stopped cleanly on <see cref="StopAsync"/>.
/// </summary>
public sealed class EmbeddedPostgresCluster : IAsyncDisposable
{
    private const string SuperUser = "postgres";

    /// <summary>Owns the schema and runs the migrations.</summary>
    public const string OwnerRole = "decisions_owner";

    /// <summary>The app's everyday role: no DDL, and only INSERT and SELECT on the audit trail.</summary>
    public const string AppRole = "decisions_app";
    private readonly EmbeddedPostgresOptions _options;
    private readonly ILogger _logger;
    private readonly PostgresBinaries _binaries;
    private readonly bool _asServiceUser;
    private bool _started;
    private FileStream? _ownership;

    private EmbeddedPostgresCluster(EmbeddedPostgresOptions options, PostgresBinaries binaries, string rootDirectory, ILogger logger)
    {
        _options = options;
        _binaries = binaries;
        _logger = logger;
        _asServiceUser = Environment.IsPrivilegedProcess;
        RootDirectory = rootDirectory;
    }

    public string RootDirectory { get; private set; }

    public string ClusterDirectory => Path.Combine(RootDirectory, "pgdata");

    public int Port { get; private set; }

    /// <summary>True when this host uses a server another live host started (a verb beside the running app).</summary>
    public bool Attached { get; private set; }

    public string ServerLogFile => Path.Combine(ClusterDirectory, "embedded-server.log");

    private string SecretFile => SecretFileOf(SuperUser);

    /// <summary>Connection string of the cluster's superuser on the application database.</summary>
    public string ConnectionString => ConnectionStringFor(_options.DatabaseName);

    /// <summary>The schema owner's connection string: for migrations.</summary>
    public string OwnerConnectionString => ConnectionStringFor(_options.DatabaseName, OwnerRole);

    /// <summary>The app role's connection string: for everything the running app does.</summary>
    public string AppConnectionString => ConnectionStringFor(_options.DatabaseName, AppRole);

    public string ConnectionStringFor(string database, string role = SuperUser) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = role,
        Password = File.ReadAllText(SecretFileOf(role)).Trim(),
        Database = database,
    }.ConnectionString;

    private string SecretFileOf(string role) => Path.Combine(RootDirectory, role == SuperUser ? "superuser.secret" : $"{role}.secret");

    public static EmbeddedPostgresCluster Create(EmbeddedPostgresOptions options, ILogger? logger = null)
    {
        var binaries = PostgresBinaries.LocateOnThisMachine(options.BinDirectory);
        return new EmbeddedPostgresCluster(options, binaries, Path.GetFullPath(options.DataDirectory), logger ?? NullLogger.Instance);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_asServiceUser)
            RootDirectory = ReachableRootDirectory(RootDirectory);
        Directory.CreateDirectory(RootDirectory);

        if (!TakeOwnership())
        {
            // A live host owns this folder and its server: use that server, or refuse — never take it for a crash leftover.
            var owner = ReadOwner();
            if (!_options.AttachToRunning || RunningPort() is not { } port)
            {
                throw new StartupException(
                    $"Another Drechtsteden.Decisions{(owner is null ? "" : $" (process {owner})")} already runs on the data folder {RootDirectory}. " +
                    "Stop it first, or give this one a folder of its own with Database__Embedded__DataDirectory.");
            }
            Port = port;
            Attached = true;
            _logger.LogInformation("The app{Owner} runs on {Directory}: using its PostgreSQL server on 127.0.0.1:{Port}, and leaving it running", owner is null ? "" : $" (process {owner})", RootDirectory, Port);
            return;
        }

        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
            await InitializeAsync(cancellationToken);
        else
            await RecoverFromCrashAsync(cancellationToken);

        Port = _options.Port != 0 ? _options.Port : FreeLoopbackPort();
        var settings = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories=''";
        if (!_options.Durable)
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        var start = await RunAsync(_binaries.PgCtl, ["start", "-D", ClusterDirectory, "-w", "-t", "60", "-l", ServerLogFile, "-o", settings], cancellationToken);
        if (start.ExitCode != 0)
        {
            throw new StartupException(
                $"The embedded PostgreSQL server in {ClusterDirectory} did not start (pg_ctl exit {start.ExitCode}): {LastLines(start.Output)} {LastLines(ReadServerLog())}".Trim());
        }
        _started = true;
        await File.WriteAllTextAsync(Path.Combine(RootDirectory, "embedded.owner"), $"{Environment.ProcessId}\n", cancellationToken);
        await EnsureDatabaseAsync(cancellationToken);
        var (binaries, directory) = (_binaries.Directory, ClusterDirectory);
        _logger.LogInformation("Embedded PostgreSQL ({Binaries}) listens on 127.0.0.1:{Port}, data in {Directory}", binaries, Port, directory);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            var stop = await RunAsync(_binaries.PgCtl, ["stop", "-D", ClusterDirectory, "-m", "fast", "-w", "-t", "60"], cancellationToken);
            if (stop.ExitCode != 0)
                _logger.LogWarning("Embedded PostgreSQL did not stop cleanly: {Output}", stop.Output);
            _started = false;
        }
        if (_ownership is not null)
        {
            await _ownership.DisposeAsync();
            _ownership = null;
        }
    }

    /// <summary>
    /// The host that starts the server owns the folder: it holds an exclusive lock on embedded.lock for as long as it
    /// lives (the kernel lets go when the process ends, also after a kill). False when another live host holds it.
    /// </summary>
    private bool TakeOwnership()
    {
        try
        {
            _ownership = new FileStream(Path.Combine(RootDirectory, "embedded.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private string? ReadOwner()
    {
        try
        {
            return File.ReadAllText(Path.Combine(RootDirectory, "embedded.owner")).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The port of the server running on this folder: the fourth line of its postmaster.pid.</summary>
    private int? RunningPort()
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(ClusterDirectory, "postmaster.pid"));
            return lines.Length > 3 && int.TryParse(lines[3].Trim(), out var port) ? port : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>True while a server runs on this cluster's data folder (pg_ctl status).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken = default) =>
        (await RunAsync(_binaries.PgCtl, ["status", "-D", ClusterDirectory], cancellationToken)).ExitCode == 0;

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(ClusterDirectory) && Directory.EnumerateFileSystemEntries(ClusterDirectory).Any())
        {
            throw new StartupException(
                $"{ClusterDirectory} exists but holds no PostgreSQL cluster (no PG_VERSION). Move it away or set Database__Embedded__DataDirectory to another folder.");
        }
        Directory.CreateDirectory(ClusterDirectory);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        File.Delete(SecretFile);
        SecretFiles.TryCreate(SecretFile, password);

        // initdb reads the password from a file; it lives next to the cluster only for the duration of initdb.
        var passwordFile = Path.Combine(RootDirectory, $"initdb-{Guid.NewGuid():N}.pw");
        SecretFiles.TryCreate(passwordFile, password);
        try
        {
            File.SetUnixFileMode(ClusterDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (_asServiceUser)
            {
                await ChownAsync(ClusterDirectory, cancellationToken);
                await ChownAsync(passwordFile, cancellationToken);
            }
            var init = await RunAsync(_binaries.InitDb,
                ["-D", ClusterDirectory, "-U", SuperUser, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C.UTF-8"],
                cancellationToken);
            if (init.ExitCode != 0)
                throw new StartupException($"initdb failed for {ClusterDirectory} (exit {init.ExitCode}): {LastLines(init.Output)}");
        }
        finally
        {
            File.Delete(passwordFile);
        }
        _logger.LogInformation("Initialised a new embedded PostgreSQL cluster in {Directory}", ClusterDirectory);
    }

    /// <summary>
    /// A host killed without stopping its server leaves that server running (pg_ctl daemonizes it) or leaves a
    /// postmaster.pid behind. The first is stopped, the second removed, so the next start is a normal one.
    /// </summary>
    private async Task RecoverFromCrashAsync(CancellationToken cancellationToken)
    {
        if (await IsRunningAsync(cancellationToken))
        {
            _logger.LogWarning("A PostgreSQL server left behind by an earlier run still uses {Directory}; stopping it first", ClusterDirectory);
            var stop = await RunAsync(_binaries.PgCtl, ["stop", "-D", ClusterDirectory, "-m", "fast", "-w", "-t", "60"], cancellationToken);
            if (stop.ExitCode != 0)
                await RunAsync(_binaries.PgCtl, ["stop", "-D", ClusterDirectory, "-m", "immediate", "-w", "-t", "30"], cancellationToken);
            return;
        }
        var lockFile = Path.Combine(ClusterDirectory, "postmaster.pid");
        if (File.Exists(lockFile))
        {
            _logger.LogWarning("Removing the stale lock file {LockFile} of a server that no longer runs", lockFile);
            File.Delete(lockFile);
        }
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        // Not pooled: after a restart of the server in this process a pooled connection would be a dead one.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var role in new[] { OwnerRole, AppRole })
        {
            var secret = SecretFileOf(role);
            var password = SecretFiles.ReadOrCreate(secret, () => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));
            // Role names are constants; the password is hex, so neither needs quoting beyond the literal.
            await using var ensure = new NpgsqlCommand(
                $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} LOGIN; END IF; END $$; ALTER ROLE {role} PASSWORD '{password}';",
                connection);
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = _options.DatabaseName });
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var quoted = "\"" + _options.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted} OWNER {OwnerRole}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// As root the server runs as the service user, who must be able to walk into the data folder. A checkout under a
    /// root-only home directory is not walkable; then the cluster lives under /var/tmp instead, named after the
    /// original folder so each checkout keeps its own cluster.
    /// </summary>
    private string ReachableRootDirectory(string wanted)
    {
        if (IsTraversableByOthers(wanted))
            return wanted;
        var name = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(wanted)))[..16].ToLowerInvariant();
        var fallback = Path.Combine("/var/tmp/drechtsteden-decisions", name);
        var user = _options.ServiceUser;
        _logger.LogWarning(
            "The service user {User} cannot reach {Wanted} (a parent folder is closed to other users); the embedded cluster lives in {Fallback} instead",
            user, wanted, fallback);
        return fallback;
    }

    private static bool IsTraversableByOthers(string path)
    {
        for (var dir = new DirectoryInfo(path).Parent; dir is not null; dir = dir.Parent)
        {
            if (dir.Exists && (dir.UnixFileMode & UnixFileMode.OtherExecute) == 0)
                return false;
        }
        return true;
    }

    private async Task ChownAsync(string path, CancellationToken cancellationToken)
    {
        var result = await RunProcessAsync("chown", [_options.ServiceUser, path], cancellationToken);
        if (result.ExitCode != 0)
            throw new StartupException($"Could not give {path} to the user '{_options.ServiceUser}': {result.Output.Trim()}");
    }

    private Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        _asServiceUser
            ? RunProcessAsync("runuser", ["-u", _options.ServiceUser, "--", program, .. arguments], cancellationToken)
            : RunProcessAsync(program, arguments, cancellationToken);

    private static async Task<ProcessResult> RunProcessAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server must not sit in our folder's way, nor inherit a working directory it cannot enter.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new StartupException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new ProcessResult(process.ExitCode, await stdout + await stderr);
    }

    private string ReadServerLog()
    {
        try
        {
            return File.Exists(ServerLogFile) ? File.ReadAllText(ServerLogFile) : "";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string LastLines(string text) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record ProcessResult(int ExitCode, string Output);
}
