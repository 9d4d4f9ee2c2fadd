using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>
/// The whole host in-process on a database of its own and a fake clock, driven through its HTTP API as a user would,
/// with the sweeper run by hand (no Hangfire server) and the database read with plain SQL.
/// </summary>
internal sealed partial class EdgeApp : IAsyncDisposable
{
    private EdgeApp(TestDatabase database, FakeTimeProvider clock, DecisionsAppFactory app)
    {
        Database = database;
        Clock = clock;
        App = app;
    }

    public TestDatabase Database { get; }

    public FakeTimeProvider Clock { get; }

    public DecisionsAppFactory App { get; }

    public static async Task<EdgeApp> StartAsync(DateTimeOffset now)
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        var clock = new FakeTimeProvider(now);
        var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" },
            services: s => s.AddSingleton<TimeProvider>(clock));
        app.CreateClient().Dispose();
        return new EdgeApp(database, clock, app);
    }

    public HttpClient As(string user)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, user);
        return client;
    }

    public HttpClient Coordinator() => As("coordinator;Coordinator");

    public HttpClient Secretary(string code) => As($"secretary-{code};Secretary;{code}");

    public HttpClient College(string code) => As($"college-{code};College;{code}");

    /// <summary>Moves the clock and runs the minutely sweep once, as Hangfire would.</summary>
    public async Task SweepAtAsync(DateTimeOffset instant)
    {
        Clock.SetUtcNow(instant);
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TimerJobs>().SweepAsync();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public async Task<Guid> StartProcessAsync(object body)
    {
        using var coordinator = Coordinator();
        using var response = await coordinator.PostAsJsonAsync("/api/processes", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("processId").GetGuid();
    }

    public async Task<Guid> AddMeetingAsync(string code, DateTimeOffset startsAt)
    {
        using var secretary = Secretary(code);
        using var response = await secretary.PostAsJsonAsync($"/api/municipalities/{code}/meetings", new { startsAt });
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Runs SQL as the superuser and returns the rows as lists of values.</summary>
    public async Task<List<object?[]>> QueryAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(Database.Superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        Rows.Bind(command.Parameters, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        return await Rows.ReadAsync(reader);
    }

    public async Task<string> StateAsync(Guid process) => (string)(await QueryAsync("SELECT state FROM processes WHERE id = $1", process))[0][0]!;

    /// <summary>A form page fetched, and its antiforgery token.</summary>
    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(new Uri(path, UriKind.Relative));
        return AntiforgeryField().Match(html).Groups[1].Value;
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
