using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bogus;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>
/// A thousand generated malformed requests (Bogus, fixed seed): wrong types, broken JSON, impossible dates, a 1 MB
/// title, unknown ids and municipalities, decisions before the meeting. None may get a 5xx, none may change anything.
/// </summary>
[NonParallelizable]
public sealed class FuzzTests
{
    [Test]
    public async Task A_thousand_malformed_requests_get_4xx_and_change_nothing()
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        using var coordinator = app.CreateClient();
        coordinator.DefaultRequestHeaders.Add(TestAuthentication.Header, "coordinator;Coordinator");
        using var started = await coordinator.PostAsJsonAsync("/api/processes", new
        {
            title = "Fuzz", reference = "F-1", conceptText = "Tekst", deadlineDate = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(30), participants = new[] { "GM0505" },
        });
        var process = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("processId").GetGuid();
        var before = await FingerprintAsync(database.Superuser);

        var faker = new Faker { Random = new Randomizer(20240910) };
        string[] identities = ["coordinator;Coordinator", "secretary-GM0505;Secretary;GM0505", "college-GM0505;College;GM0505", "auditor;Auditor", "admin;Admin"];
        string[] paths =
        [
            "/api/processes", $"/api/processes/{process}/concepts", $"/api/processes/{process}/deadline", $"/api/processes/{process}/publish",
            $"/api/processes/{process}/cancel", $"/api/processes/{process}/items/GM0505/schedule", $"/api/processes/{process}/items/GM0505/decision",
            $"/api/processes/{process}/items/GM9999/decision", $"/api/processes/{Guid.NewGuid()}/cancel", "/api/municipalities/GM0505/meetings",
            "/api/municipalities/XX/meetings", "/api/api-tokens",
        ];
        var bodies = new Func<string>[]
        {
            () => "{",
            () => "[]",
            () => "null",
            () => faker.Random.String2(faker.Random.Int(1, 200)),
            () => JsonSerializer.Serialize(new { title = new string('x', 1_000_000), reference = "R", conceptText = "T", deadlineDate = "2099-01-01", participants = new[] { "GM0505" } }),
            () => JsonSerializer.Serialize(new { title = 42, reference = true, conceptText = new[] { 1 }, deadlineDate = "2024-02-30", participants = "GM0505" }),
            () => JsonSerializer.Serialize(new { title = "T", reference = "R", conceptText = "T", deadlineDate = "not a date", participants = new[] { "GM0505" } }),
            () => JsonSerializer.Serialize(new { title = "T", reference = "R", conceptText = "T", deadlineDate = "1999-01-01", participants = new[] { "GM0505" } }),
            () => JsonSerializer.Serialize(new { title = "T", reference = "R", conceptText = "T", deadlineAt = "2099-01-01T00:00:00Z", deadlineDate = "2099-01-01", participants = new[] { "GM0999" } }),
            () => JsonSerializer.Serialize(new { meetingId = faker.Random.Guid() }),
            () => JsonSerializer.Serialize(new { meetingId = "meeting" }),
            () => JsonSerializer.Serialize(new { outcome = faker.PickRandom("Adopted", "Rejected", "Deferred", "Maybe", "", "0"), conceptVersion = faker.Random.Int(-5, 5) }),
            () => JsonSerializer.Serialize(new { outcome = "AdoptedWithAmendments", conceptVersion = 1, decidedOn = "2024-13-45" }),
            () => JsonSerializer.Serialize(new { date = "2024-02-30", reason = "" }),
            () => JsonSerializer.Serialize(new { date = faker.Date.PastDateOnly(), reason = faker.Random.Int() }),
            () => JsonSerializer.Serialize(new { at = "yesterday" }),
            () => JsonSerializer.Serialize(new { reason = (string?)null }),
            () => JsonSerializer.Serialize(new { text = "" }),
            () => JsonSerializer.Serialize(new { startsAt = "2020-01-01T10:00:00Z" }),
            () => JsonSerializer.Serialize(new { userId = "nobody", name = "" }),
            // Over-long fields, one character past their limit or far past it, on commands that are otherwise valid.
            () => JsonSerializer.Serialize(new { reason = new string('r', 2001) }),
            () => JsonSerializer.Serialize(new { reason = new string('r', faker.Random.Int(2001, 200_000)), date = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(60) }),
            () => JsonSerializer.Serialize(new { text = new string('t', faker.Random.Int(100_001, 300_000)) }),
            () => JsonSerializer.Serialize(new { text = "Nieuw concept", documentUrl = "https://example.org/" + new string('d', 2100) }),
            () => JsonSerializer.Serialize(new { startsAt = DateTimeOffset.UtcNow.AddDays(9), note = new string('n', faker.Random.Int(501, 5000)) }),
            // Control characters and broken characters in fields that are otherwise valid.
            () => JsonSerializer.Serialize(new { reason = "Afgeblazen\u0000" }),
            () => JsonSerializer.Serialize(new { reason = "bel\u0007" + faker.Lorem.Word(), date = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(60) }),
            () => JsonSerializer.Serialize(new { text = "Concept \u001b[31mrood" }),
            () => "{\"reason\":\"half \\ud800 teken\"}",
            () => "{\"text\":\"lone \\udc00 low\"}",
            () => JsonSerializer.Serialize(new { startsAt = DateTimeOffset.UtcNow.AddDays(9), note = "nul\u0000" }),
            () => JsonSerializer.Serialize(new { title = "T\u0000", reference = "R", conceptText = "T", deadlineDate = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(30), participants = new[] { "GM0505" } }),
        };

        var statuses = new List<int>();
        for (var i = 0; i < 1000; i++)
        {
            using var client = app.CreateClient();
            client.DefaultRequestHeaders.Add(TestAuthentication.Header, faker.PickRandom(identities));
            using var request = new HttpRequestMessage(HttpMethod.Post, faker.PickRandom(paths))
            {
                Content = new StringContent(faker.PickRandom(bodies)(), Encoding.UTF8, faker.Random.Bool(0.9f) ? "application/json" : "text/plain"),
            };
            if (faker.Random.Bool(0.1f))
                request.Headers.TryAddWithoutValidation("If-Match", faker.PickRandom("\"abc\"", "W/\"1\"", "*", "garbage"));
            var body = await request.Content.ReadAsStringAsync();
            using var response = await client.SendAsync(request);
            statuses.Add((int)response.StatusCode);
            Assert.That((int)response.StatusCode, Is.GreaterThanOrEqualTo(400), $"request {i} was accepted: {request.RequestUri} {body[..Math.Min(200, body.Length)]}");
            Assert.That((int)response.StatusCode, Is.LessThan(500), $"request {i}: {request.Method} {request.RequestUri}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.That(statuses, Has.Count.EqualTo(1000));
        Assert.That(statuses, Has.All.InRange(400, 499), "every malformed request is refused with a 4xx");
        Assert.That(await FingerprintAsync(database.Superuser), Is.EqualTo(before), "nothing was written");
    }

    /// <summary>Row counts and the latest change of every table that a command could touch.</summary>
    private static async Task<string> FingerprintAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT concat_ws('|',
              (SELECT count(*) FROM processes), (SELECT max(revision) FROM processes), (SELECT count(*) FROM concept_versions),
              (SELECT count(*) FROM agenda_items), (SELECT string_agg(state, ',' ORDER BY id) FROM agenda_items), (SELECT count(*) FROM decisions),
              (SELECT count(*) FROM meetings), (SELECT count(*) FROM audit_entries), (SELECT count(*) FROM timers), (SELECT count(*) FROM outbox_messages),
              (SELECT count(*) FROM api_tokens), (SELECT count(*) FROM deadline_changes), (SELECT count(*) FROM idempotency_keys))
            """, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
