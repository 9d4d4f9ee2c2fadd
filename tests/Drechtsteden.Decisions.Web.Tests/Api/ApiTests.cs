using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>The process API end to end: sign-in, the commands, problem details, ETags, idempotency and the embargo.</summary>
public sealed class ApiTests
{
    private TestDatabase _database = null!;
    private DecisionsAppFactory _app = null!;

    [SetUp]
    public async Task Host()
    {
        _database = await Jobs.TimerHarness.SeededDatabaseAsync();
        _app = new DecisionsAppFactory(_database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
    }

    [TearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private HttpClient As(string user)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, user);
        return client;
    }

    [Test]
    public async Task The_process_list_comes_in_pages_by_deadline()
    {
        using var coordinator = As("coordinator;Coordinator");
        for (var i = 0; i < 3; i++)
            (await StartAsync(coordinator)).Response.Dispose();
        var first = await JsonAsync(await coordinator.GetAsync(new Uri("/api/processes?limit=2", UriKind.Relative)));
        var rest = await JsonAsync(await coordinator.GetAsync(new Uri("/api/processes?offset=2&limit=2", UriKind.Relative)));
        Assert.That(first.GetArrayLength(), Is.EqualTo(2));
        Assert.That(rest.GetArrayLength(), Is.EqualTo(1));
        var ids = first.EnumerateArray().Concat(rest.EnumerateArray()).Select(p => p.GetProperty("id").GetGuid()).ToList();
        Assert.That(ids, Is.Unique);
        using var invalid = await coordinator.GetAsync(new Uri("/api/processes?limit=501", UriKind.Relative));
        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }

    [Test]
    public async Task More_commands_at_once_than_an_instance_takes_are_shed_with_503_and_Retry_After_not_queued_into_the_database()
    {
        await using var busy = new DecisionsAppFactory(_database.App, settings: new Dictionary<string, string?>
        {
            ["Jobs:Server"] = "false", ["Auth:CommandConcurrency"] = "1", ["Auth:CommandQueue"] = "0",
        });
        using var coordinator = busy.CreateClient();
        coordinator.DefaultRequestHeaders.Add(TestAuthentication.Header, "coordinator;Coordinator");
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => StartAsync(coordinator)));
        var statuses = answers.Select(a => a.Response.StatusCode).ToList();
        Assert.That(statuses, Has.Some.EqualTo(HttpStatusCode.Created));
        Assert.That(statuses, Has.Some.EqualTo(HttpStatusCode.ServiceUnavailable), "the excess is shed");
        Assert.That(statuses, Has.All.EqualTo(HttpStatusCode.Created).Or.EqualTo(HttpStatusCode.ServiceUnavailable));
        var shed = answers.First(a => a.Response.StatusCode == HttpStatusCode.ServiceUnavailable).Response;
        Assert.That(shed.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That((await JsonAsync(shed)).GetProperty("code").GetString(), Is.EqualTo("busy"));
        foreach (var (_, response) in answers)
            response.Dispose();
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<(Guid Id, HttpResponseMessage Response)> StartAsync(HttpClient coordinator, string? idempotencyKey = null)
    {
        var deadline = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(30);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/processes")
        {
            Content = JsonContent.Create(new
            {
                title = "Doorontwikkeling bestuurlijke samenwerking Drechtsteden",
                reference = "2023-0080716",
                conceptText = "Het college besluit in te stemmen met de doorontwikkeling.",
                deadlineDate = deadline,
                participants = new[] { "GM0505", "GM0590" },
            }),
        };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await coordinator.SendAsync(request);
        var id = response.IsSuccessStatusCode ? (await JsonAsync(response)).GetProperty("processId").GetGuid() : Guid.Empty;
        return (id, response);
    }

    [Test]
    public async Task Answers_are_compressed_and_versioned_files_are_cached_as_immutable()
    {
        using var client = As("coordinator;Coordinator");
        foreach (var (encoding, path) in new[] { ("br", "/api/processes"), ("gzip", "/api/processes"), ("br", "/processen"), ("gzip", "/lib/nl-design-system.css") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptEncoding.ParseAdd(encoding);
            using var response = await client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            Assert.That(response.Content.Headers.ContentEncoding, Is.EqualTo(new[] { encoding }), $"{path} with Accept-Encoding: {encoding}");
        }
        using (var page = await client.GetAsync(new Uri("/processen", UriKind.Relative)))
        {
            Assert.That(page.Headers.CacheControl?.NoCache, Is.True, "a page is per user and changes with every command");
            Assert.That(page.Headers.CacheControl!.Private || page.Headers.CacheControl.NoStore, Is.True, "never kept by a shared cache (antiforgery makes a page with a form no-store)");
            var html = await page.Content.ReadAsStringAsync();
            var css = System.Text.RegularExpressions.Regex.Match(html, "/lib/nl-design-system.css\\?v=[^\"]+").Value;
            Assert.That(css, Is.Not.Empty, "the stylesheet is addressed by its hash");
            using var versioned = await client.GetAsync(new Uri(css, UriKind.Relative));
            Assert.That(versioned.Headers.CacheControl?.ToString(), Is.EqualTo("public, max-age=31536000, immutable"));
            var stylesheet = await versioned.Content.ReadAsStringAsync();
            Assert.That(stylesheet, Does.Contain(".utrecht-table").And.Contain(".utrecht-button"), "the components the pages use");
            Assert.That(stylesheet, Does.Not.Contain(".utrecht-accordion").And.Not.Contain(".utrecht-breadcrumb-nav").And.Not.Contain(".utrecht-calendar"),
                "no component the pages do not use");
            Assert.That(System.Text.RegularExpressions.Regex.IsMatch(html, "<script[^>]+mermaid"), Is.False, "mermaid is not loaded by the page, only named for when a diagram is opened");
        }
        using var unversioned = await client.GetAsync(new Uri("/css/site.css", UriKind.Relative));
        Assert.That(unversioned.Headers.CacheControl?.NoCache, Is.True, "without a version in the address: revalidated");
    }

    [Test]
    public async Task Without_credentials_the_API_answers_401()
    {
        using var anonymous = _app.CreateClient();
        using var response = await anonymous.GetAsync(new Uri("/api/processes", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_whole_round_through_the_API_with_ETags_and_the_embargo()
    {
        using var coordinator = As("coordinator;Coordinator");
        var (id, started) = await StartAsync(coordinator);
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(started.Headers.Location!.ToString(), Is.EqualTo($"/api/processes/{id}"));
        Assert.That(started.Headers.ETag, Is.Not.Null);

        var today = Amsterdam.DateOf(DateTimeOffset.UtcNow);
        var meeting = await _app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<Web.Agenda.MeetingCommands>()
            .AddAsync("GM0505", new Decisions.Agenda.MeetingChange(DateTimeOffset.UtcNow.AddMinutes(1)), ProcessDatabase.Secretary("GM0505"));
        using var dordrecht = As("secretary-GM0505;Secretary;GM0505");
        using var scheduled = await dordrecht.PostAsJsonAsync($"/api/processes/{id}/items/GM0505/schedule", new { meetingId = meeting.Id });
        Assert.That(scheduled.StatusCode, Is.EqualTo(HttpStatusCode.OK), await scheduled.Content.ReadAsStringAsync());

        using var college = As("college-GM0505;College;GM0505");
        using var decided = await college.PostAsJsonAsync($"/api/processes/{id}/items/GM0505/decision",
            new { outcome = "AdoptedWithAmendments", conceptVersion = 1, text = "Het college besluit niet in te stemmen." });
        Assert.That(decided.StatusCode, Is.EqualTo(HttpStatusCode.OK), await decided.Content.ReadAsStringAsync());
        Assert.That((await JsonAsync(decided)).GetProperty("state").GetString(), Is.EqualTo("Diverged"));

        var asCoordinator = await coordinator.GetFromJsonAsync<JsonElement>(new Uri($"/api/processes/{id}", UriKind.Relative));
        var dordrechtItem = asCoordinator.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("municipality").GetString() == "GM0505");
        Assert.That(dordrechtItem.GetProperty("identical").GetBoolean(), Is.False);
        Assert.That(dordrechtItem.GetProperty("diff").GetArrayLength(), Is.GreaterThan(0));
        Assert.That(dordrechtItem.GetProperty("decision").GetProperty("outcome").GetString(), Is.EqualTo("AdoptedWithAmendments"));

        // The list counts from each item's latest decision: one decided, none identical (the amendment differs).
        var listed = (await coordinator.GetFromJsonAsync<JsonElement>(new Uri("/api/processes", UriKind.Relative))).EnumerateArray()
            .Single(p => p.GetProperty("id").GetGuid() == id);
        Assert.That((listed.GetProperty("participants").GetInt32(), listed.GetProperty("decided").GetInt32(), listed.GetProperty("identical").GetInt32()),
            Is.EqualTo((asCoordinator.GetProperty("items").GetArrayLength(), 1, 0)));

        using var papendrecht = As("secretary-GM0590;Secretary;GM0590");
        var asPapendrecht = await papendrecht.GetFromJsonAsync<JsonElement>(new Uri($"/api/processes/{id}", UriKind.Relative));
        var seenByPapendrecht = asPapendrecht.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("municipality").GetString() == "GM0505");
        Assert.That(seenByPapendrecht.GetProperty("embargoed").GetBoolean(), Is.True);
        Assert.That(seenByPapendrecht.GetProperty("decision").ValueKind, Is.EqualTo(JsonValueKind.Null), "Dordrecht's decision is embargoed for Papendrecht");
        Assert.That(seenByPapendrecht.GetProperty("diff").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(today, Is.Not.EqualTo(default(DateOnly)));
    }

    [Test]
    public async Task Rules_and_bad_input_come_back_as_problem_details_that_name_the_field()
    {
        using var coordinator = As("coordinator;Coordinator");
        using var noTitle = await coordinator.PostAsJsonAsync("/api/processes", new { reference = "R", conceptText = "x", deadlineDate = "2099-01-01", participants = new[] { "GM0505" } });
        Assert.That(noTitle.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(noTitle.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await JsonAsync(noTitle);
        Assert.That(problem.GetProperty("errors").GetProperty("title")[0].GetString(), Is.EqualTo("The process needs a title."));
        Assert.That(problem.GetProperty("code").GetString(), Is.EqualTo("title-required"));

        using var malformed = await coordinator.PostAsync(new Uri("/api/processes", UriKind.Relative), new StringContent("{\"title\": ", Encoding.UTF8, "application/json"));
        Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(malformed.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));

        using var unknown = await coordinator.GetAsync(new Uri($"/api/processes/{Guid.NewGuid()}", UriKind.Relative));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_stale_If_Match_gets_412_and_an_Idempotency_Key_replays_the_first_answer()
    {
        using var coordinator = As("coordinator;Coordinator");
        var (id, first) = await StartAsync(coordinator, "start-1");
        var (again, second) = await StartAsync(coordinator, "start-1");
        Assert.That(again, Is.EqualTo(id));
        Assert.That((await JsonAsync(second)).GetProperty("replayed").GetBoolean(), Is.True);
        var etag = first.Headers.ETag!.ToString();

        using var revise = new HttpRequestMessage(HttpMethod.Post, $"/api/processes/{id}/concepts") { Content = JsonContent.Create(new { text = "Nieuwe tekst", note = "n.a.v. Dordrecht" }) };
        revise.Headers.TryAddWithoutValidation("If-Match", etag);
        using var revised = await coordinator.SendAsync(revise);
        Assert.That(revised.StatusCode, Is.EqualTo(HttpStatusCode.OK), await revised.Content.ReadAsStringAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/processes/{id}/cancel") { Content = JsonContent.Create(new { reason = "oud" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", etag);
        using var refused = await coordinator.SendAsync(stale);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
    }

    [Test]
    public async Task An_integration_uses_an_API_token_until_it_is_revoked()
    {
        using var admin = As("admin;Admin");
        using var created = await admin.PostAsJsonAsync("/api/api-tokens", new { userId = "secretary-GM0505", name = "Zaaksysteem Dordrecht" });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var token = await JsonAsync(created);
        var secret = token.GetProperty("token").GetString()!;
        Assert.That(secret, Does.StartWith("ddt_"));

        await using var real = new DecisionsAppFactory(_database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" }, testSignIn: false);
        using var integration = real.CreateClient();
        integration.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiToken", secret);
        using (var allowed = await integration.GetAsync(new Uri("/api/notifications", UriKind.Relative)))
        {
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(allowed.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
            Assert.That(allowed.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
            Assert.That(allowed.Headers.Contains("Content-Security-Policy"), Is.True);
        }

        using var revoked = await admin.DeleteAsync(new Uri($"/api/api-tokens/{token.GetProperty("id").GetGuid()}", UriKind.Relative));
        Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using var refused = await integration.GetAsync(new Uri("/api/notifications", UriKind.Relative));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a revoked token no longer signs in");
        var stored = await _app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<DecisionsDbContext>().ApiTokens.FindAsync(token.GetProperty("id").GetGuid());
        Assert.That(stored!.TokenHash, Is.Not.EqualTo(secret).And.Length.EqualTo(64), "only the hash is stored");
    }

    [Test]
    public async Task Every_POST_honours_an_Idempotency_Key_adding_a_meeting_too()
    {
        using var dordrecht = As("secretary-GM0505;Secretary;GM0505");
        var startsAt = DateTimeOffset.UtcNow.AddDays(9);
        async Task<JsonElement> AddAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/municipalities/GM0505/meetings")
            {
                Content = JsonContent.Create(new { startsAt, note = "Extra" }),
            };
            request.Headers.Add("Idempotency-Key", "meeting-extra-1");
            using var response = await dordrecht.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
            return await JsonAsync(response);
        }

        var first = await AddAsync();
        var retry = await AddAsync();

        Assert.That(retry.GetProperty("id").GetGuid(), Is.EqualTo(first.GetProperty("id").GetGuid()));
        var meetings = await dordrecht.GetFromJsonAsync<JsonElement>(new Uri("/api/municipalities/GM0505/meetings", UriKind.Relative));
        Assert.That(meetings.EnumerateArray().Count(m => m.GetProperty("note").GetString() == "Extra"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_secretary_moves_and_cancels_meetings_of_the_own_college()
    {
        using var dordrecht = As("secretary-GM0505;Secretary;GM0505");
        using var added = await dordrecht.PostAsJsonAsync("/api/municipalities/GM0505/meetings", new { startsAt = DateTimeOffset.UtcNow.AddDays(5) });
        var id = (await JsonAsync(added)).GetProperty("id").GetGuid();
        var later = DateTimeOffset.UtcNow.AddDays(6);

        using var moved = await dordrecht.PostAsJsonAsync($"/api/municipalities/GM0505/meetings/{id}/move", new { startsAt = later, note = "Verzet" });
        Assert.That(moved.StatusCode, Is.EqualTo(HttpStatusCode.OK), await moved.Content.ReadAsStringAsync());
        Assert.That((await JsonAsync(moved)).GetProperty("startsAt").GetDateTimeOffset(), Is.EqualTo(Web.Audit.AuditHash.ToMicroseconds(later)));

        using var papendrecht = As("secretary-GM0590;Secretary;GM0590");
        using var foreign = await papendrecht.PostAsJsonAsync($"/api/municipalities/GM0505/meetings/{id}/cancel", new { note = "weg" });
        Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using var cancelled = await dordrecht.PostAsJsonAsync($"/api/municipalities/GM0505/meetings/{id}/cancel", new { note = "Geen agenda" });
        Assert.That((await JsonAsync(cancelled)).GetProperty("status").GetString(), Is.EqualTo("Cancelled"));
        using var wrongCollege = await dordrecht.PostAsJsonAsync($"/api/municipalities/GM0590/meetings/{id}/cancel", new { });
        Assert.That(wrongCollege.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Papendrecht_never_schedules_for_Dordrecht_and_a_college_never_starts_a_process()
    {
        using var coordinator = As("coordinator;Coordinator");
        var (id, _) = await StartAsync(coordinator);
        var meeting = await _app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<Web.Agenda.MeetingCommands>()
            .AddAsync("GM0505", new Decisions.Agenda.MeetingChange(DateTimeOffset.UtcNow.AddDays(2)), ProcessDatabase.Secretary("GM0505"));

        using var papendrecht = As("secretary-GM0590;Secretary;GM0590");
        using var scheduled = await papendrecht.PostAsJsonAsync($"/api/processes/{id}/items/GM0505/schedule", new { meetingId = meeting.Id });
        Assert.That(scheduled.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using var college = As("college-GM0505;College;GM0505");
        var (_, started) = await StartAsync(college);
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Local_accounts_get_a_short_lived_bearer_token_and_the_token_endpoint_is_rate_limited()
    {
        await using var real = new DecisionsAppFactory(_database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" }, testSignIn: false);
        await using (var scope = real.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            var user = await db.Users.FindAsync("coordinator");
            user!.SetPasswordHash(scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserAccount>>().HashPassword(user, "geheim wachtwoord"));
            await db.SaveChangesAsync();
        }
        using var client = real.CreateClient();

        using var wrong = await client.PostAsJsonAsync("/api/auth/token", new { userName = "coordinator", password = "fout" });
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await JsonAsync(wrong)).GetProperty("detail").GetString(), Is.EqualTo("Unknown user name or wrong password."));

        using var right = await client.PostAsJsonAsync("/api/auth/token", new { userName = "coordinator", password = "geheim wachtwoord" });
        var token = await JsonAsync(right);
        Assert.That(token.GetProperty("tokenType").GetString(), Is.EqualTo("Bearer"));
        Assert.That(token.GetProperty("expiresIn").GetInt32(), Is.EqualTo(900));
        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/processes");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());
        Assert.That((await client.SendAsync(list)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
            statuses.Add((await client.PostAsJsonAsync("/api/auth/token", new { userName = "coordinator", password = "fout" })).StatusCode);
        Assert.That(statuses, Has.Member(HttpStatusCode.TooManyRequests), "ten attempts a minute per address");
    }
}
