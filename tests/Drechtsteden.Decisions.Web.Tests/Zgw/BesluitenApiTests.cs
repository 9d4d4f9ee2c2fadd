using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Json.Schema;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Zgw;

/// <summary>
/// The ZGW Besluiten API (issue 20): one BESLUIT per published college decision, in the standard's 1.0.x shapes —
/// every answer is validated against the response schemas transcribed from the standard's OpenAPI document
/// (besluiten-api-1.0.2.schema.json) — readable by auditors and by integration tokens scoped to one municipality,
/// and only after the publication.
/// </summary>
public sealed class BesluitenApiTests
{
    private const string Password = "een lang geheim";
    private const string Besluittype = "https://catalogi.example.org/api/v1/besluittypen/test-collegebesluit";
    private const string Amended = "Het college besluit in te stemmen, met een eigen toevoeging van Dordrecht.";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);
    private static readonly DateOnly Sept10 = new(2024, 9, 10);

    /// <summary>The demo's invented RSINs (they pass the 11-proef and belong to no one); Zwijndrecht (GM0642) has none configured.</summary>
    private static readonly Dictionary<string, string> Rsins = new()
    {
        ["GM0482"] = "999990019", ["GM0505"] = "999990020", ["GM0523"] = "999990032", ["GM0531"] = "999990044", ["GM0590"] = "999990056", ["GM0610"] = "999990068",
    };

    private TestDatabase _database = null!;
    private DecisionsAppFactory _app = null!;
    private Guid _published;
    private Guid _unpublished;
    private JsonSchema _schema = null!;
    private SchemaRegistry _registry = null!;

    [OneTimeSetUp]
    public async Task Seed()
    {
        _registry = new SchemaRegistry();
        _schema = JsonSchema.FromText(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Zgw", "besluiten-api-1.0.2.schema.json")),
            new BuildOptions { SchemaRegistry = _registry });
        _database = await TestPostgres.CreateDatabaseAsync();
        await using (var db = await ProcessDatabase.CreateAsync(connectionString: _database.App))
        {
            // Published: Dordrecht first amends, the concept is revised, all seven adopt version 2; Papendrecht deferred once.
            _published = (await db.StartAsync(idempotencyKey: "published")).ProcessId;
            _unpublished = (await db.StartAsync(idempotencyKey: "unpublished")).ProcessId;
            var meetings = new Dictionary<string, Guid>();
            foreach (var code in ProcessDatabase.Codes)
            {
                meetings[code] = (await db.AddMeetingAsync(code, Sept3)).Id;
                await db.ScheduleAsync(_published, code, meetings[code]);
                await db.ScheduleAsync(_unpublished, code, meetings[code]);
            }
            var later = new Dictionary<string, Guid>();
            foreach (var code in ProcessDatabase.Codes)
                later[code] = (await db.AddMeetingAsync(code, Sept10)).Id;
            db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
            await db.DecideAsync(_published, "GM0505", new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: Amended));
            await db.DecideAsync(_published, "GM0590", new RecordDecision(DecisionOutcome.Deferred, 1, Reason: "Eerst de raad horen"));
            foreach (var code in ProcessDatabase.Codes)
                await db.DecideAsync(_unpublished, code, new RecordDecision(DecisionOutcome.Adopted, 1));
            await db.RunAsync(_published, new ReviseConcept("Het college besluit in te stemmen met de doorontwikkeling, met een evaluatie."), ProcessDatabase.Coordinator);
            foreach (var code in ProcessDatabase.Codes)
                await db.ScheduleAsync(_published, code, later[code]);
            db.Clock.SetUtcNow(Amsterdam.At(Sept10, new TimeOnly(12, 0)));
            foreach (var code in ProcessDatabase.Codes)
                await db.DecideAsync(_published, code, new RecordDecision(DecisionOutcome.Adopted, 2));
            db.Clock.SetUtcNow(Amsterdam.At(Sept10.AddDays(1), new TimeOnly(9, 0)));
            await db.RunAsync(_published, new Publish(), ProcessDatabase.Coordinator);
            await db.InScopeAsync(async sp =>
            {
                var context = sp.GetRequiredService<DecisionsDbContext>();
                context.Users.Add(new UserAccount("auditor", "Accountant", "accountant@example.org", Role.Auditor));
                context.Users.Add(new UserAccount("admin", "Beheerder", "beheer@example.org", Role.Admin));
                await context.SaveChangesAsync();
                var hasher = new PasswordHasher<UserAccount>();
                foreach (var user in await context.Users.ToListAsync())
                    user.SetPasswordHash(hasher.HashPassword(user, Password));
                return await context.SaveChangesAsync();
            });
        }
        var settings = new Dictionary<string, string?>
        {
            ["Jobs:Server"] = "false", ["Auth:TokenRequestsPerMinute"] = "1000", ["Zgw:BesluittypeUrl"] = Besluittype, ["App:PublicBaseUrl"] = "https://besluiten.example.org/",
        };
        foreach (var (code, rsin) in Rsins)
            settings[$"Zgw:Rsin:{code}"] = rsin;
        _app = new DecisionsAppFactory(_database.App, settings, testSignIn: false);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private async Task<HttpClient> SignedInAsync(string user)
    {
        var client = _app.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/auth/token", new { userName = user, password = Password });
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>An integration token an administrator mints for one municipality, with the scope besluiten.lezen.</summary>
    private async Task<HttpClient> IntegrationAsync(string municipality)
    {
        using var admin = await SignedInAsync("admin");
        using var created = await admin.PostAsJsonAsync("/api/api-tokens", new { userId = "admin", name = $"Zaaksysteem {municipality}", scope = "besluiten.lezen", municipality });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var secret = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiToken", secret);
        return client;
    }

    /// <summary>Validates a JSON answer against one of the schema's definitions, with formats (uri, date, uuid) asserted.</summary>
    private void AssertValid(JsonElement answer, string definition)
    {
        var wrapper = JsonSchema.FromText($$"""{ "$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "{{_schema.BaseUri}}#/$defs/{{definition}}" }""",
            new BuildOptions { SchemaRegistry = _registry });
        var result = wrapper.Evaluate(answer, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).ToList();
        Assert.That(result.IsValid, Is.True, $"not a valid {definition}:\n{string.Join("\n", errors)}\n{answer}");
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.GetValues("API-version").Single(), Is.EqualTo("1.0.2"));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Test]
    public async Task The_list_holds_one_besluit_per_published_college_decision_in_the_standards_shape()
    {
        using var auditor = await SignedInAsync("auditor");
        var page = await OkAsync(await auditor.GetAsync("/zgw/besluiten/api/v1/besluiten"));
        AssertValid(page, "BesluitenPage");

        // Six colleges with an RSIN adopted version 2, and Dordrecht's amendment on version 1 was a decision too; the
        // deferral decided nothing, Zwijndrecht has no RSIN configured, and the unpublished process shows nothing.
        var results = page.GetProperty("results").EnumerateArray().ToList();
        Assert.That(page.GetProperty("count").GetInt32(), Is.EqualTo(7));
        Assert.That(results, Has.Count.EqualTo(7));
        Assert.That(page.GetProperty("next").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(results.Select(r => r.GetProperty("verantwoordelijkeOrganisatie").GetString()), Is.All.AnyOf(Rsins.Values.ToArray<object>()));
        Assert.That(results.Select(r => r.GetProperty("verantwoordelijkeOrganisatie").GetString()), Has.None.EqualTo(null));
        Assert.That(results.Select(r => r.GetProperty("besluittype").GetString()), Is.All.EqualTo(Besluittype));
        Assert.That(results.Select(r => r.GetProperty("publicatiedatum").GetString()), Is.All.EqualTo("2024-09-11"));

        var dordrecht = results.Where(r => r.GetProperty("verantwoordelijkeOrganisatie").GetString() == Rsins["GM0505"]).ToList();
        Assert.That(dordrecht.Select(r => r.GetProperty("datum").GetString()), Is.EquivalentTo(new[] { "2024-09-03", "2024-09-10" }));
        Assert.That(dordrecht.Select(r => r.GetProperty("bestuursorgaan").GetString()), Is.All.EqualTo("College van B&W Dordrecht"));
        Assert.That(dordrecht.Single(r => r.GetProperty("datum").GetString() == "2024-09-03").GetProperty("toelichting").GetString(), Does.Contain(Amended));
        Assert.That(dordrecht.Select(r => r.GetProperty("url").GetString()), Is.All.StartsWith("https://besluiten.example.org/zgw/besluiten/api/v1/besluiten/"));

        var byOrganisation = await OkAsync(await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten?verantwoordelijkeOrganisatie={Rsins["GM0505"]}"));
        AssertValid(byOrganisation, "BesluitenPage");
        Assert.That(byOrganisation.GetProperty("count").GetInt32(), Is.EqualTo(2));
        var identificatie = dordrecht[0].GetProperty("identificatie").GetString()!;
        Assert.That(identificatie, Does.StartWith("2023-0080716-GM0505-"));
        var one = await OkAsync(await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten?identificatie={Uri.EscapeDataString(identificatie)}"));
        Assert.That(one.GetProperty("results").EnumerateArray().Single().GetProperty("url").GetString(), Is.EqualTo(dordrecht[0].GetProperty("url").GetString()));
        var none = await OkAsync(await auditor.GetAsync("/zgw/besluiten/api/v1/besluiten?verantwoordelijkeOrganisatie=999999999"));
        Assert.That(none.GetProperty("count").GetInt32(), Is.Zero);

        var second = await OkAsync(await auditor.GetAsync("/zgw/besluiten/api/v1/besluiten?page=2"));
        AssertValid(second, "BesluitenPage");
        Assert.That(second.GetProperty("results").GetArrayLength(), Is.Zero);
        Assert.That(second.GetProperty("previous").GetString(), Does.EndWith("besluiten?page=1"));
    }

    [Test]
    public async Task A_besluit_and_its_audittrail_are_read_by_uuid()
    {
        using var auditor = await SignedInAsync("auditor");
        var page = await OkAsync(await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten?verantwoordelijkeOrganisatie={Rsins["GM0590"]}"));
        var url = page.GetProperty("results").EnumerateArray().Single().GetProperty("url").GetString()!;
        var uuid = url[(url.LastIndexOf('/') + 1)..];

        var besluit = await OkAsync(await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten/{uuid}"));
        AssertValid(besluit, "Besluit");
        Assert.That(besluit.GetProperty("datum").GetString(), Is.EqualTo("2024-09-10"));
        Assert.That(besluit.GetProperty("bestuursorgaan").GetString(), Is.EqualTo("College van B&W Papendrecht"));

        var trail = await OkAsync(await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten/{uuid}/audittrail"));
        AssertValid(trail, "AuditTrailList");
        var entry = trail.EnumerateArray().Single();
        Assert.That(entry.GetProperty("actie").GetString(), Is.EqualTo("decision.recorded"));
        Assert.That(entry.GetProperty("hoofdObject").GetString(), Is.EqualTo(url));
        Assert.That(entry.GetProperty("gebruikersId").GetString(), Is.EqualTo("college-GM0590"));

        using var missing = await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten/{Guid.NewGuid()}");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Only_auditors_and_scoped_integration_tokens_read_and_only_published_decisions()
    {
        using (var anonymous = _app.CreateClient())
        using (var refused = await anonymous.GetAsync("/zgw/besluiten/api/v1/besluiten"))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        foreach (var user in new[] { "coordinator", "secretary-GM0505", "college-GM0505", "griffier-GM0505", "admin" })
        {
            using var client = await SignedInAsync(user);
            using var refused = await client.GetAsync("/zgw/besluiten/api/v1/besluiten");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), user);
        }

        using var dordrecht = await IntegrationAsync("GM0505");
        var own = await OkAsync(await dordrecht.GetAsync("/zgw/besluiten/api/v1/besluiten"));
        AssertValid(own, "BesluitenPage");
        Assert.That(own.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("verantwoordelijkeOrganisatie").GetString()), Is.All.EqualTo(Rsins["GM0505"]));
        Assert.That(own.GetProperty("count").GetInt32(), Is.EqualTo(2));

        using var auditor = await SignedInAsync("auditor");
        var papendrecht = (await OkAsync(await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten?verantwoordelijkeOrganisatie={Rsins["GM0590"]}")))
            .GetProperty("results")[0].GetProperty("url").GetString()!;
        using (var other = await dordrecht.GetAsync(new Uri(papendrecht).AbsolutePath))
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another municipality's besluit");
        using (var api = await dordrecht.GetAsync("/api/processes"))
            Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "a scoped token acts in no role");

        await using var scope = _app.Services.CreateAsyncScope();
        var unpublished = await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().ProcessAggregates.AsNoTracking().FirstAsync(p => p.Id == _unpublished);
        var embargoed = unpublished.Item("GM0505").LatestDecision!.Id;
        using (var hidden = await auditor.GetAsync($"/zgw/besluiten/api/v1/besluiten/{embargoed}"))
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "synchronized, not yet published: no besluit");
    }

    [Test]
    public void An_RSIN_must_pass_the_11_proef_and_a_wrong_one_stops_the_host()
    {
        Assert.That(Rsins.Values.Select(Rsin.IsValid), Is.All.True);
        Assert.That(Rsin.IsValid("123456789"), Is.False);
        Assert.That(Rsin.IsValid("99999002"), Is.False);
        Assert.That(Rsin.IsValid("000000000"), Is.False);

        using var wrong = new DecisionsAppFactory(_database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false", ["Zgw:Rsin:GM0505"] = "123456789" });
        var error = Assert.Catch(() => wrong.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("Zgw:Rsin:GM0505").And.Contain("11-proef"));
    }
}
