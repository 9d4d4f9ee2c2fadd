using System.Net;
using System.Net.Http.Json;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests.Foundation;

/// <summary>The host as a user starts it: a separate process, no connection string, the embedded PostgreSQL.</summary>
[NonParallelizable]
public sealed class HostStartupTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private string _directory = "";

    [SetUp]
    public void NewFolder() => _directory = Path.Combine(Path.GetTempPath(), $"drechtsteden-host-{Guid.NewGuid():N}");

    [TearDown]
    public void RemoveFolder()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task Without_a_connection_string_the_host_runs_on_its_own_cluster_and_stops_it_on_exit()
    {
        var environment = EmbeddedEnvironment();
        await using (var host = HostProcess.Start(environment))
        {
            await host.WaitUntilReadyAsync(StartTimeout);
            Assert.That(host.StandardOutput, Does.Contain($"running at {host.BaseAddress.ToString().TrimEnd('/')}"));
            await AssertDemoRegionAsync(host.BaseAddress);
            await host.StopAsync(TimeSpan.FromSeconds(60));
            Assert.That(host.ExitCode, Is.Zero, host.StandardError);
        }
        Assert.That(PostmasterIsRunning(), Is.False, "the embedded server outlived the host");

        // Started again on the same folder: the schema applied the first time is still there (no new cluster).
        await using var again = HostProcess.Start(environment);
        await again.WaitUntilReadyAsync(StartTimeout);
        Assert.That(again.StandardOutput, Does.Not.Contain("Initialised a new embedded PostgreSQL cluster"));
    }

    [Test]
    public async Task After_a_crash_the_next_start_recovers_the_left_over_server()
    {
        var environment = EmbeddedEnvironment();
        await using (var host = HostProcess.Start(environment))
        {
            await host.WaitUntilReadyAsync(StartTimeout);
            host.Crash();
        }
        Assert.That(PostmasterIsRunning(), Is.True, "a SIGKILLed host leaves its daemonized server behind");

        await using var restarted = HostProcess.Start(environment);
        await restarted.WaitUntilReadyAsync(StartTimeout);
        Assert.That(restarted.StandardOutput, Does.Contain("left behind by an earlier run"));
    }

    [Test]
    public async Task A_verb_beside_the_running_app_uses_its_server_and_leaves_it_running()
    {
        var environment = EmbeddedEnvironment();
        await using var host = HostProcess.Start(environment);
        await host.WaitUntilReadyAsync(StartTimeout);

        await using (var verb = HostProcess.Start(environment, "verify-audit"))
        {
            var exit = await verb.WaitForExitAsync(StartTimeout);
            Assert.That(exit, Is.EqualTo(0).Or.EqualTo(4), verb.StandardOutput + verb.StandardError);
            Assert.That(verb.StandardOutput, Does.Contain("leaving it running"));
        }

        Assert.That(PostmasterIsRunning(), Is.True, "the verb took the live server for a crash leftover and stopped it");
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the app still serves after the verb");

        await using var second = HostProcess.Start(environment);
        Assert.That(await second.WaitForExitAsync(StartTimeout), Is.EqualTo(1));
        Assert.That(second.StandardError, Does.Contain("Another Drechtsteden.Decisions").And.Contain("already runs on the data folder"));
        using var stillReady = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.That(stillReady.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a second app refuses; it does not take the first one's server");
    }

    [Test]
    public async Task Missing_server_binaries_stop_the_host_with_one_clear_line()
    {
        var environment = EmbeddedEnvironment();
        environment["Database__Embedded__BinDirectory"] = "/nonexistent/postgresql/bin";

        await using var host = HostProcess.Start(environment);

        Assert.That(await host.WaitForExitAsync(StartTimeout), Is.EqualTo(1));
        var lines = host.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Length.EqualTo(1), host.StandardError);
        Assert.That(lines[0], Does.Contain("apt-get install postgresql").And.Contain("ConnectionStrings__Decisions"));
    }

    [TestCase("Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=decisions", "Cannot use PostgreSQL at 127.0.0.1:1")]
    [TestCase("Hots=127.0.0.1;Database=decisions", "is not a valid PostgreSQL connection string")]
    public async Task A_bad_connection_string_gives_one_clear_line_not_a_stack_trace(string connectionString, string expected)
    {
        await using var host = HostProcess.Start(new Dictionary<string, string?> { ["ConnectionStrings__Decisions"] = connectionString }, "migrate");

        Assert.That(await host.WaitForExitAsync(StartTimeout), Is.EqualTo(1));
        var lines = host.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Length.EqualTo(1), host.StandardError);
        Assert.That(lines[0], Does.Contain(expected).And.Not.Contain("Exception"));
    }

    [Test]
    public async Task The_migrate_verb_applies_the_schema_and_exits()
    {
        var database = await TestPostgres.CreateEmptyDatabaseAsync();
        await using var host = HostProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Decisions"] = database.App,
            ["ConnectionStrings__DecisionsOwner"] = database.Owner,
        }, "migrate");

        Assert.That(await host.WaitForExitAsync(StartTimeout), Is.Zero, host.StandardError);
        Assert.That(host.StandardOutput, Does.Contain("Database is up to date."));
        await using var db = TestPostgres.CreateContext(database.App);
        Assert.That(await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetPendingMigrationsAsync(db.Database), Is.Empty);
    }

    /// <summary>A new user finds the region, the demo accounts (password "demo") and the colleges' calendars.</summary>
    private static async Task AssertDemoRegionAsync(Uri baseAddress)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };
        using var token = await client.PostAsJsonAsync("/api/auth/token", new { userName = "secretary-dordrecht", password = "demo" });
        Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the demo accounts exist in the embedded default");
        var accessToken = (await token.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        var meetings = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/municipalities/GM0505/meetings");
        Assert.That(meetings.GetArrayLength(), Is.GreaterThan(20), "Dordrecht's college has a calendar to schedule on");
    }

    [Test]
    public async Task The_run_command_listens_where_ASPNETCORE_URLS_says_not_where_the_launch_profile_did()
    {
        // Before: the launch profile set http://127.0.0.1:5080 and `dotnet run` let it win over the user's setting.
        await using var host = HostProcess.StartThroughDotnetRun(EmbeddedEnvironment());
        await host.WaitUntilReadyAsync(StartTimeout);
        Assert.That(host.StandardOutput, Does.Contain($"running at {host.BaseAddress.ToString().TrimEnd('/')}"), host.StandardOutput);
        Assert.That(host.StandardOutput, Does.Not.Contain(":5080"));
        // No environment given: `dotnet run` still means Development (the mailbox hint is not printed in Production).
        Assert.That(host.StandardOutput, Does.Contain("No SMTP server configured"));
    }

    [TestCase(null, null, "Development")]
    [TestCase("Production", null, null)]
    [TestCase(null, "Staging", null)]
    public void Dotnet_run_means_Development_only_when_no_environment_is_given(string? aspnetcore, string? dotnet, string? expected)
    {
        var variables = new Dictionary<string, string?> { ["DOTNET_LAUNCH_PROFILE"] = "Drechtsteden.Decisions", ["ASPNETCORE_ENVIRONMENT"] = aspnetcore, ["DOTNET_ENVIRONMENT"] = dotnet };
        Assert.That(RunDefaults.Options([], name => variables.GetValueOrDefault(name)).EnvironmentName, Is.EqualTo(expected));
        Assert.That(RunDefaults.Options(["--environment", "Production"], name => variables.GetValueOrDefault(name)).EnvironmentName, Is.Null);
        Assert.That(RunDefaults.Options([], _ => null).EnvironmentName, Is.Null, "without dotnet run the framework's default (Production) applies");
    }

    private Dictionary<string, string?> EmbeddedEnvironment() => new()
    {
        ["Database__Embedded__DataDirectory"] = _directory,
        ["Mail__PickupDirectory"] = Path.Combine(_directory, "mail"),
    };

    private bool PostmasterIsRunning()
    {
        var lockFile = Path.Combine(_directory, "pgdata", "postmaster.pid");
        if (!File.Exists(lockFile))
            return false;
        var pid = int.Parse(File.ReadLines(lockFile).First(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
