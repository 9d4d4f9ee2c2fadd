using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using DocumentFormat.OpenXml.Packaging;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Councils;

/// <summary>
/// The raadsinformatiebrief and the councils step (issue 20), against the real sign-in: the letter is the
/// coordinator's draft until the publication; then every council reads the same body under its own header, as a page,
/// as JSON and as .docx, with the same hash in every footer; each griffier confirms for their own council only.
/// </summary>
public sealed partial class CouncilLetterTests
{
    private const string Password = "een lang geheim";
    private const string Letter = "## Wat is de te delen informatie?\n\nDe zeven colleges stemden in met **de doorontwikkeling**.\n\n- eerste punt\n- tweede punt\n\n<script>alert(1)</script>";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);
    private static readonly DateOnly Sept11 = new(2024, 9, 11);
    private TestDatabase _database = null!;
    private DecisionsAppFactory _app = null!;
    private Guid _synchronized;
    private Guid _published;
    private Guid _toConfirm;
    private Guid _withoutLetter;

    [OneTimeSetUp]
    public async Task Seed()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        await using (var db = await ProcessDatabase.CreateAsync(connectionString: _database.App))
        {
            var meetings = new Dictionary<string, Guid>();
            foreach (var code in ProcessDatabase.Codes)
                meetings[code] = (await db.AddMeetingAsync(code, Sept3)).Id;
            Guid[] ids = [await ScheduledAsync(db, meetings), await ScheduledAsync(db, meetings), await ScheduledAsync(db, meetings), await ScheduledAsync(db, meetings, letter: null)];
            db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
            foreach (var id in ids)
            {
                foreach (var code in ProcessDatabase.Codes)
                    await db.DecideAsync(id, code, new RecordDecision(DecisionOutcome.Adopted, 1));
            }
            (_synchronized, _published, _toConfirm, _withoutLetter) = (ids[0], ids[1], ids[2], ids[3]);
            db.Clock.SetUtcNow(Amsterdam.At(Sept11, new TimeOnly(9, 0)));
            await db.RunAsync(_published, new Publish(), ProcessDatabase.Coordinator);
            await db.RunAsync(_toConfirm, new Publish(), ProcessDatabase.Coordinator);
            await db.RunAsync(_withoutLetter, new Publish(), ProcessDatabase.Coordinator);
            await db.InScopeAsync(async sp =>
            {
                var context = sp.GetRequiredService<DecisionsDbContext>();
                var hasher = new PasswordHasher<UserAccount>();
                foreach (var user in await context.Users.ToListAsync())
                    user.SetPasswordHash(hasher.HashPassword(user, Password));
                return await context.SaveChangesAsync();
            });
        }
        _app = new DecisionsAppFactory(_database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false", ["Auth:TokenRequestsPerMinute"] = "1000" }, testSignIn: false);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

    /// <summary>A process with the letter, each college's item on its meeting of 3 September 2024.</summary>
    private static async Task<Guid> ScheduledAsync(ProcessDatabase db, Dictionary<string, Guid> meetings, string? letter = Letter)
    {
        var id = (await db.StartAsync(idempotencyKey: Guid.NewGuid().ToString(), councilLetter: letter)).ProcessId;
        foreach (var code in ProcessDatabase.Codes)
            await db.ScheduleAsync(id, code, meetings[code]);
        return id;
    }

    private async Task<HttpClient> ApiAsync(string user)
    {
        var client = _app.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/auth/token", new { userName = user, password = Password });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"token for {user}");
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<HttpClient> BrowserAsync(string user)
    {
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = Antiforgery().Match(await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative))).Groups[1].Value;
        using var response = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative), Form(("__RequestVerificationToken", token), ("gebruikersnaam", user),
            ("wachtwoord", Password), ("returnUrl", "/")));
        Assert.That(response.Headers.Location?.ToString(), Does.Not.StartWith("/inloggen"), $"sign-in of {user}");
        return browser;
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) => new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Test]
    public async Task Until_the_publication_only_the_coordinator_reads_the_letter_and_as_an_undated_draft()
    {
        using var coordinator = await ApiAsync("coordinator");
        var draft = await JsonAsync(await coordinator.GetAsync($"/api/processes/{_synchronized}/council-letters/GM0505"));
        Assert.That(draft.GetProperty("draft").GetBoolean(), Is.True);
        Assert.That(draft.GetProperty("date").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var process = await JsonAsync(await coordinator.GetAsync($"/api/processes/{_synchronized}"));
        Assert.That(process.GetProperty("concepts")[0].GetProperty("councilLetter").GetString(), Is.EqualTo(Letter));

        foreach (var user in new[] { "griffier-GM0505", "secretary-GM0505", "college-GM0590" })
        {
            using var client = await ApiAsync(user);
            using var refused = await client.GetAsync($"/api/processes/{_synchronized}/council-letters/GM0505");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), user);
            Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("council-letter-embargoed"));
            using var docx = await client.GetAsync($"/api/processes/{_synchronized}/council-letters/GM0505?format=docx");
            Assert.That(docx.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), $"{user}: .docx");
            var resource = await JsonAsync(await client.GetAsync($"/api/processes/{_synchronized}"));
            Assert.That(resource.GetProperty("concepts")[0].GetProperty("councilLetter").ValueKind, Is.EqualTo(JsonValueKind.Null), $"{user}: the letter in the resource");
        }
        using var page = await BrowserAsync("griffier-GM0505");
        using var refusedPage = await page.GetAsync($"/processen/{_synchronized}/raadsinformatiebrief/GM0505");
        Assert.That(refusedPage.StatusCode, Is.Not.EqualTo(HttpStatusCode.OK), "the page under embargo");
        Assert.That(await refusedPage.Content.ReadAsStringAsync(), Does.Not.Contain("De zeven colleges stemden in"));
    }

    [Test]
    public async Task After_the_publication_every_council_reads_the_same_body_with_its_own_header_and_the_same_hash()
    {
        using var griffier = await ApiAsync("griffier-GM0505");
        var copies = new List<JsonElement>();
        foreach (var code in ProcessDatabase.Codes)
            copies.Add(await JsonAsync(await griffier.GetAsync($"/api/processes/{_published}/council-letters/{code}")));

        var hash = CouncilLetter.BodyHash(Letter);
        Assert.That(copies.Select(c => c.GetProperty("bodyHash").GetString()), Is.All.EqualTo(hash));
        Assert.That(copies.Select(c => c.GetProperty("bodyMarkdown").GetString()), Is.All.EqualTo(Letter));
        Assert.That(copies.Select(c => c.GetProperty("municipalityName").GetString()).Distinct().Count(), Is.EqualTo(7));
        Assert.That(copies.Select(c => c.GetProperty("date").GetString()), Is.All.EqualTo("2024-09-11"), "dated with the publication");
        Assert.That(copies.Select(c => c.GetProperty("collegeDecidedOn").GetString()), Is.All.EqualTo("2024-09-03"));
        Assert.That(copies[0].GetProperty("bodyHtml").GetString(), Does.Contain("<strong>de doorontwikkeling</strong>").And.Contain("<li>eerste punt</li>")
            .And.Not.Contain("<script>"), "Markdown rendered, HTML in it escaped");

        using var docx = await griffier.GetAsync($"/api/processes/{_published}/council-letters/GM0505?format=docx");
        Assert.That(docx.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), await docx.Content.ReadAsStringAsync());
        using (var word = WordprocessingDocument.Open(new MemoryStream(await docx.Content.ReadAsByteArrayAsync()), false))
        {
            var body = word.MainDocumentPart!.Document!.Body!.InnerText;
            Assert.That(body, Does.Contain("de gemeenteraad van Dordrecht").And.Contain("2023-0080716").And.Contain("11 september 2024")
                .And.Contain("3 september 2024").And.Contain("De zeven colleges stemden in met de doorontwikkeling").And.Contain("eerste punt"));
            Assert.That(word.MainDocumentPart.FooterParts.Single().Footer!.InnerText, Does.Contain(hash), "the hash in the footer");
        }

        using var browser = await BrowserAsync("griffier-GM0590");
        var html = await browser.GetStringAsync($"/processen/{_published}/raadsinformatiebrief/GM0590");
        Assert.That(html, Does.Contain("de gemeenteraad van Papendrecht").And.Contain(hash).And.Contain("<strong>de doorontwikkeling</strong>"));
        Assert.That(html, Does.Not.Contain("<script>alert(1)</script>"));
        using var file = await browser.GetAsync($"/processen/{_published}/raadsinformatiebrief/GM0590?handler=Docx");
        Assert.That(file.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(file.Content.Headers.ContentDisposition?.FileNameStar ?? file.Content.Headers.ContentDisposition?.FileName, Does.Contain("GM0590"));
    }

    [Test]
    public async Task Each_griffier_confirms_for_their_own_council_and_the_last_one_ends_the_process()
    {
        using var browser = await BrowserAsync("griffier-GM0590");
        var list = await browser.GetStringAsync("/raad");
        Assert.That(list, Does.Contain($"/processen/{_toConfirm}/raadsinformatiebrief/GM0590"));

        var page = await browser.GetStringAsync($"/processen/{_toConfirm}/raadsinformatiebrief/GM0590");
        Assert.That(page, Does.Contain("id=\"bevestigen\""));
        var today = Amsterdam.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd");
        using (var confirmed = await browser.PostAsync($"/processen/{_toConfirm}/raadsinformatiebrief/GM0590", Form(
            ("__RequestVerificationToken", Antiforgery().Match(page).Groups[1].Value), ("FormKey", Guid.NewGuid().ToString("N")),
            ("Datum", today), ("Link", "https://raad.example.org/brieven/42"))))
        {
            Assert.That(confirmed.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await confirmed.Content.ReadAsStringAsync());
        }

        // Another municipality's letter: no form, and a post is refused.
        var other = await browser.GetStringAsync($"/processen/{_toConfirm}/raadsinformatiebrief/GM0505");
        Assert.That(other, Does.Not.Contain("id=\"bevestigen\""));
        using (var refused = await browser.PostAsync($"/processen/{_toConfirm}/raadsinformatiebrief/GM0505", Form(
            ("__RequestVerificationToken", Antiforgery().Match(other).Groups[1].Value), ("Datum", today))))
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
        using var papendrecht = await ApiAsync("griffier-GM0590");
        using (var refused = await papendrecht.PostAsJsonAsync($"/api/processes/{_toConfirm}/items/GM0505/council", new { informedOn = today }))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var secretary = await ApiAsync("secretary-GM0505");
        using (var refused = await secretary.PostAsJsonAsync($"/api/processes/{_toConfirm}/items/GM0505/council", new { informedOn = today }))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        var item = (await JsonAsync(await papendrecht.GetAsync($"/api/processes/{_toConfirm}"))).GetProperty("items").EnumerateArray().Single(i => i.GetProperty("municipality").GetString() == "GM0590");
        Assert.That(item.GetProperty("council").GetProperty("informedOn").GetString(), Is.EqualTo(today));
        Assert.That(item.GetProperty("council").GetProperty("link").GetString(), Is.EqualTo("https://raad.example.org/brieven/42"));

        foreach (var code in ProcessDatabase.Codes.Where(c => c != "GM0590"))
        {
            using var griffier = await ApiAsync($"griffier-{code}");
            var answer = await JsonAsync(await griffier.PostAsJsonAsync($"/api/processes/{_toConfirm}/items/{code}/council", new { informedOn = today }));
            Assert.That(answer.GetProperty("state").GetString(), Is.EqualTo(code == ProcessDatabase.Codes.Where(c => c != "GM0590").Last() ? "CouncilsInformed" : "Published"));
        }

        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var audit = await db.AuditEntries.AsNoTracking().Where(e => e.ProcessId == _toConfirm).Select(e => e.Action).ToListAsync();
        Assert.That(audit.Count(a => a == "council.informed"), Is.EqualTo(7));
        Assert.That(audit, Does.Contain("process.state-changed"), "the engine's step to CouncilsInformed");
        var messages = await db.Outbox.AsNoTracking().Where(m => m.ProcessId == _toConfirm).Select(m => new { m.RecipientUserId, m.Subject }).ToListAsync();
        Assert.That(messages.Count(m => m.RecipientUserId.StartsWith("griffier-", StringComparison.Ordinal) && m.Subject.StartsWith("Raadsinformatiebrief", StringComparison.Ordinal)), Is.EqualTo(7),
            "every griffier was told at the publication");
        Assert.That(messages.Any(m => m.RecipientUserId == "coordinator" && m.Subject.StartsWith("Alle raden geïnformeerd", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task Without_a_letter_the_griffier_still_confirms_that_the_council_was_informed()
    {
        using var api = await ApiAsync("griffier-GM0505");
        using (var missing = await api.GetAsync($"/api/processes/{_withoutLetter}/council-letters/GM0505"))
        {
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await missing.Content.ReadAsStringAsync(), Does.Contain("council-letter-missing"));
        }
        using var browser = await BrowserAsync("griffier-GM0505");
        var page = await browser.GetStringAsync($"/processen/{_withoutLetter}/raadsinformatiebrief/GM0505");
        Assert.That(page, Does.Contain("id=\"geen-brief\"").And.Contain("id=\"bevestigen\""));
        var today = Amsterdam.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd");
        using var confirmed = await browser.PostAsync($"/processen/{_withoutLetter}/raadsinformatiebrief/GM0505", Form(
            ("__RequestVerificationToken", Antiforgery().Match(page).Groups[1].Value), ("FormKey", Guid.NewGuid().ToString("N")), ("Datum", today)));
        Assert.That(confirmed.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var item = (await JsonAsync(await api.GetAsync($"/api/processes/{_withoutLetter}"))).GetProperty("items").EnumerateArray().Single(i => i.GetProperty("municipality").GetString() == "GM0505");
        Assert.That(item.GetProperty("council").GetProperty("informedOn").GetString(), Is.EqualTo(today));
    }
}
