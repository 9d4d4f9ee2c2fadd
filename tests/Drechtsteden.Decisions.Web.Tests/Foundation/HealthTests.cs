using System.Net;
using System.Text.Json;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests.Foundation;

public sealed class HealthTests
{
    [Test]
    public async Task Ready_is_green_on_a_migrated_database()
    {
        await using var app = new DecisionsAppFactory(await TestPostgres.CreateMigratedDatabaseAsync());
        using var client = app.CreateClient();

        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Ready_says_which_migrations_are_missing()
    {
        await using var app = new DecisionsAppFactory((await TestPostgres.CreateEmptyDatabaseAsync()).App);
        using var client = app.CreateClient();

        using var ready = await AsAdminAsync(client);

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await DescriptionAsync(ready), Does.Contain("migration(s) are not applied").And.Contain("migrate"));
    }

    [Test]
    public async Task Ready_says_the_database_cannot_be_reached_while_live_stays_green()
    {
        await using var app = new DecisionsAppFactory($"Host=127.0.0.1;Port={HostProcess.FreePort()};Username=x;Password=y;Database=z;Timeout=2");
        using var client = app.CreateClient();

        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var anonymous = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var ready = await AsAdminAsync(client);

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var body = await anonymous.Content.ReadAsStringAsync();
        Assert.That(body, Does.Not.Contain("127.0.0.1").And.Not.Contain("Username").And.Not.Contain("PostgreSQL"), "an anonymous caller learns only that it is not ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await DescriptionAsync(ready), Does.Contain("Cannot use PostgreSQL at 127.0.0.1"), "an administrator learns why");
    }

    [Test]
    public async Task Ready_tells_an_administrator_the_heap_after_the_last_full_collection()
    {
        await using var app = new DecisionsAppFactory(await TestPostgres.CreateMigratedDatabaseAsync());
        using var client = app.CreateClient();
        // The app runs in this process: a full, blocking collection here is the app's last full collection.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var expected = GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;

        using var ready = await AsAdminAsync(client);

        using var json = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var memory = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "memory").GetProperty("data");
        var full = memory.GetProperty("heapAfterLastFullCollectionBytes").GetInt64();
        Assert.That(full, Is.GreaterThan(0), "the soak compares this figure: the live heap, not what a gen-0 collection left");
        // A background collection may have finished since; then its figure is the later one.
        if (GC.GetGCMemoryInfo(GCKind.Background).Index < GC.GetGCMemoryInfo(GCKind.FullBlocking).Index)
            Assert.That(full, Is.EqualTo(expected));
    }

    private static async Task<HttpResponseMessage> AsAdminAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        request.Headers.Add(TestAuthentication.Header, "admin;Admin");
        return await client.SendAsync(request);
    }

    private static async Task<string> DescriptionAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("checks")[0].GetProperty("description").GetString() ?? "";
    }
}
