using Drechtsteden.Decisions.Web.Data.Embedded;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Foundation;

public sealed class EmbeddedPostgresTests
{
    private string _directory = "";

    [SetUp]
    public void NewFolder() => _directory = Path.Combine(Path.GetTempPath(), $"drechtsteden-embedded-{Guid.NewGuid():N}");

    [TearDown]
    public void RemoveFolder()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task The_cluster_starts_on_loopback_keeps_its_data_across_a_restart_and_stops()
    {
        var options = new EmbeddedPostgresOptions { DataDirectory = _directory, DatabaseName = "keeps" };
        var first = EmbeddedPostgresCluster.Create(options);
        await first.StartAsync();
        Assert.That(await ScalarAsync(first.ConnectionString, "SELECT inet_server_addr()::text"), Is.EqualTo("127.0.0.1/32"));
        if (Environment.IsPrivilegedProcess)
            Assert.That(ServerUser(first.ClusterDirectory), Is.EqualTo("postgres"), "started as root, the server runs as the unprivileged postgres user");
        await ScalarAsync(first.ConnectionString, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('besluit'); SELECT 1");
        await first.StopAsync();
        Assert.That(await first.IsRunningAsync(), Is.False, "the server still runs after StopAsync");

        await using var second = EmbeddedPostgresCluster.Create(options);
        await second.StartAsync();
        Assert.That(await ScalarAsync(second.ConnectionString, "SELECT value FROM kept"), Is.EqualTo("besluit"));
    }

    [Test]
    public async Task A_server_left_running_by_a_crashed_host_is_recovered_on_the_next_start()
    {
        var options = new EmbeddedPostgresOptions { DataDirectory = _directory };
        var crashed = EmbeddedPostgresCluster.Create(options);
        await crashed.StartAsync();
        // The host dies without StopAsync: the daemonized server keeps running and holds the data folder, and the kernel
        // lets go of the dead host's lock on the folder (here by closing the file the lock is on, as the death would).
        var ownership = (FileStream)typeof(EmbeddedPostgresCluster).GetField("_ownership", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(crashed)!;
        await ownership.DisposeAsync();

        await using var next = EmbeddedPostgresCluster.Create(options);
        await next.StartAsync();
        Assert.That(await ScalarAsync(next.ConnectionString, "SELECT 42"), Is.EqualTo(42));
        Assert.That(next.Port, Is.Not.EqualTo(crashed.Port).Or.EqualTo(crashed.Port), "any port will do, as long as it answers");
    }

    [Test]
    public async Task A_stale_lock_file_of_a_dead_server_is_removed_on_the_next_start()
    {
        var options = new EmbeddedPostgresOptions { DataDirectory = _directory };
        var cluster = EmbeddedPostgresCluster.Create(options);
        await cluster.StartAsync();
        await cluster.StopAsync();
        var lockFile = Path.Combine(cluster.ClusterDirectory, "postmaster.pid");
        // What a server killed by the machine leaves: a lock naming a process that no longer exists.
        await File.WriteAllTextAsync(lockFile, "999999\n" + cluster.ClusterDirectory + "\n0\n5432\n\n127.0.0.1\n");

        await using var restarted = EmbeddedPostgresCluster.Create(options);
        await restarted.StartAsync();
        Assert.That(await ScalarAsync(restarted.ConnectionString, "SELECT 7"), Is.EqualTo(7));
    }

    [Test]
    public void Missing_binaries_are_reported_in_one_sentence_that_says_what_to_install()
    {
        var error = Assert.Throws<StartupException>(() => PostgresBinaries.Locate(null, "/nonexistent/bin", ["/nonexistent/postgresql"]));
        Assert.That(error!.Message, Does.Contain("apt-get install postgresql").And.Contain("ConnectionStrings__Decisions").And.Not.Contain("\n"));
    }

    [Test]
    public void A_configured_binary_folder_without_the_programs_is_named_in_the_error()
    {
        var error = Assert.Throws<StartupException>(() => PostgresBinaries.Locate("/opt/no-postgres", "/usr/bin", ["/usr/lib/postgresql"]));
        Assert.That(error!.Message, Does.Contain("/opt/no-postgres"));
    }

    [Test]
    public void The_newest_installed_major_version_is_chosen_when_PATH_has_none()
    {
        var root = Path.Combine(_directory, "lib-postgresql");
        foreach (var version in new[] { "13", "16", "9" })
        {
            var bin = Directory.CreateDirectory(Path.Combine(root, version, "bin")).FullName;
            File.WriteAllText(Path.Combine(bin, "initdb"), "");
            File.WriteAllText(Path.Combine(bin, "pg_ctl"), "");
        }

        var found = PostgresBinaries.Locate(null, "", [root]);

        Assert.That(found.Directory, Is.EqualTo(Path.Combine(root, "16", "bin")));
    }

    /// <summary>The owner of the running postmaster, from /proc.</summary>
    private static string ServerUser(string clusterDirectory)
    {
        var pid = File.ReadLines(Path.Combine(clusterDirectory, "postmaster.pid")).First();
        var uid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        return File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[2] == uid)[0];
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
