using System.Net;
using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>
/// The embargo rule (README, "The embargo"): before publication another municipality's secretary or college sees the
/// agenda — whether an item is on a meeting and which — and nothing that tells what a college decided: not the
/// process state "Afwijkend", not the counts, not "Aangehouden" or "Besloten", not a text or a reason. Checked on the
/// list, the resource, the page, its live partial, the calendar feeds and the messages.
/// </summary>
public sealed class EmbargoTests
{
    private const string Amended = "Het college besluit, met een eigen wijziging van Dordrecht, in te stemmen.";
    private const string Reason = "Papendrecht wil eerst de raad horen";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);
    private TestDatabase _database = null!;
    private Guid _process;
    private DecisionsAppFactory _app = null!;

    [OneTimeSetUp]
    public async Task DordrechtAmendsAndPapendrechtDefers()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        await using var db = await ProcessDatabase.CreateAsync(connectionString: _database.App);
        _process = (await db.StartAsync()).ProcessId;
        foreach (var code in ProcessDatabase.Codes)
            await db.ScheduleAsync(_process, code, (await db.AddMeetingAsync(code, Sept3)).Id);
        db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await db.DecideAsync(_process, "GM0505", new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: Amended));
        await db.DecideAsync(_process, "GM0590", new RecordDecision(DecisionOutcome.Deferred, 1, Reason: Reason));
        await db.DecideAsync(_process, "GM0482", new RecordDecision(DecisionOutcome.Adopted, 1));
        _app = new DecisionsAppFactory(_database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
    }

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private HttpClient As(string user)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, user);
        return client;
    }

    private const string Alblasserdam = "secretary-GM0482;Secretary;GM0482";

    private static void NothingDecidedElsewhere(string text, string where)
    {
        Assert.That(text, Does.Not.Contain(Amended).And.Not.Contain(Reason), $"{where}: another college's text or reason");
        Assert.That(text, Does.Not.Contain("Afwijkend").And.Not.Contain("Diverged"), $"{where}: the state that says someone amended");
        Assert.That(text, Does.Not.Contain("Aangehouden").And.Not.Contain("Deferred"), $"{where}: who deferred");
    }

    private static string WithoutDiagrams(string html) =>
        System.Text.RegularExpressions.Regex.Replace(html, "<pre class=\"mermaid\".*?</pre>", "", System.Text.RegularExpressions.RegexOptions.Singleline);

    [Test]
    public async Task The_list_shows_the_process_as_running_without_counts()
    {
        using var client = As(Alblasserdam);
        var list = await client.GetStringAsync(new Uri("/api/processes", UriKind.Relative));
        NothingDecidedElsewhere(list, "list");
        var summary = JsonDocument.Parse(list).RootElement.EnumerateArray().Single(p => p.GetProperty("id").GetGuid() == _process);
        Assert.That(summary.GetProperty("state").GetString(), Is.EqualTo("Running"));
        Assert.That(summary.GetProperty("identical").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(summary.GetProperty("decided").ValueKind, Is.EqualTo(JsonValueKind.Null));

        using var coordinator = As("coordinator;Coordinator");
        var full = JsonDocument.Parse(await coordinator.GetStringAsync(new Uri("/api/processes", UriKind.Relative))).RootElement.EnumerateArray().Single(p => p.GetProperty("id").GetGuid() == _process);
        Assert.That(full.GetProperty("state").GetString(), Is.EqualTo("Diverged"), "the coordinator sees everything");
        Assert.That(full.GetProperty("decided").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task The_resource_shows_the_agenda_of_the_others_and_the_own_decision_whole()
    {
        using var client = As(Alblasserdam);
        var text = await client.GetStringAsync(new Uri($"/api/processes/{_process}", UriKind.Relative));
        NothingDecidedElsewhere(text, "resource");
        var process = JsonDocument.Parse(text).RootElement;
        Assert.That(process.GetProperty("state").GetString(), Is.EqualTo("Running"));
        var items = process.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("municipality").GetString()!);
        Assert.That(items["GM0505"].GetProperty("state").GetString(), Is.EqualTo("Scheduled"), "decided on its meeting: the agenda says it was on it");
        Assert.That(items["GM0505"].GetProperty("meeting").ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(items["GM0590"].GetProperty("state").GetString(), Is.EqualTo("Unscheduled"), "deferred: not on a meeting (again)");
        Assert.That(items["GM0505"].GetProperty("decision").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(items["GM0505"].GetProperty("decisionCount").GetInt32(), Is.Zero);
        Assert.That(items["GM0482"].GetProperty("state").GetString(), Is.EqualTo("Decided"), "its own item it sees whole");
        Assert.That(items["GM0482"].GetProperty("decision").GetProperty("outcome").GetString(), Is.EqualTo("Adopted"));
    }

    [Test]
    public async Task The_page_and_its_live_partial_show_no_decision_of_another_college()
    {
        using var client = As(Alblasserdam);
        using var page = await client.GetAsync(new Uri($"/processen/{_process}", UriKind.Relative));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(System.Text.RegularExpressions.Regex.Match(html, "id=\"proces-stand\">(.*?)</dd>", System.Text.RegularExpressions.RegexOptions.Singleline).Groups[1].Value,
            Does.Contain("Loopt"));
        // The workflow diagrams draw the definition — every state there is — and mark the states as the reader may see them.
        NothingDecidedElsewhere(WithoutDiagrams(html), "page");
        using var live = await client.GetAsync(new Uri($"/processen/{_process}?handler=Live", UriKind.Relative));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        NothingDecidedElsewhere(WithoutDiagrams(await live.Content.ReadAsStringAsync()), "live partial");
    }

    [Test]
    public async Task The_calendars_and_the_messages_show_only_the_agenda()
    {
        using var client = As(Alblasserdam);
        NothingDecidedElsewhere(await client.GetStringAsync(new Uri($"/api/processes/{_process}/calendar.ics", UriKind.Relative)), "process calendar");
        NothingDecidedElsewhere(await client.GetStringAsync(new Uri("/api/municipalities/GM0482/calendar.ics", UriKind.Relative)), "municipality calendar");
        NothingDecidedElsewhere(await client.GetStringAsync(new Uri("/api/notifications", UriKind.Relative)), "messages");
        using var audit = await client.GetAsync(new Uri($"/api/processes/{_process}/audit?format=csv", UriKind.Relative));
        Assert.That(audit.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the audit export is for coordinators, auditors and administrators");
    }

    [Test]
    public async Task The_matrix_files_for_Excel_keep_the_embargo_and_speak_Dutch()
    {
        using var secretary = As(Alblasserdam);
        var csv = await secretary.GetByteArrayAsync(new Uri($"/processen/{_process}?handler=Matrix&format=csv", UriKind.Relative));
        NothingDecidedElsewhere(System.Text.Encoding.UTF8.GetString(csv), "matrix CSV");
        var xlsx = await secretary.GetByteArrayAsync(new Uri($"/processen/{_process}?handler=Matrix&format=xlsx", UriKind.Relative));
        NothingDecidedElsewhere(string.Join("\n", SheetRows(xlsx).SelectMany(r => r)), "matrix xlsx");

        using var coordinator = As("coordinator;Coordinator");
        using var response = await coordinator.GetAsync(new Uri($"/processen/{_process}?handler=Matrix&format=csv", UriKind.Relative));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "UTF-8 with a BOM, so Excel reads the accents");
        var lines = System.Text.Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("Gemeente;Agendapunt;Vergadering;Besluit;Conceptversie;Besluitdatum;Gelijkluidend;Status;Toelichting;Reden;Raad geïnformeerd"));
        Assert.That(lines, Has.Some.StartsWith("Dordrecht;Besloten;03-09-2024 10:00;Vastgesteld met wijzigingen;1;03-09-2024;nee;Risico;afwijkend besluit;"));
        Assert.That(lines, Has.Some.Contains(";Aangehouden;1;03-09-2024;;").And.Some.Contains(Reason));

        var sheet = SheetRows(await coordinator.GetByteArrayAsync(new Uri($"/processen/{_process}?handler=Matrix&format=xlsx", UriKind.Relative)));
        Assert.That(sheet[1], Is.EqualTo(new[] { "Gemeente", "Agendapunt", "Vergadering", "Besluit", "Conceptversie", "Besluitdatum", "Gelijkluidend", "Status", "Toelichting", "Reden", "Raad geïnformeerd" }));
        Assert.That(sheet.Skip(2).Select(r => r[0]), Is.EquivalentTo(new[] { "Alblasserdam", "Dordrecht", "Hardinxveld-Giessendam", "Hendrik-Ido-Ambacht", "Papendrecht", "Sliedrecht", "Zwijndrecht" }));
        Assert.That(sheet.Single(r => r[0] == "Dordrecht")[3], Is.EqualTo("Vastgesteld met wijzigingen"));
    }

    [Test]
    public async Task The_audit_trail_for_Excel_is_semicolon_separated_with_a_BOM_Amsterdam_times_and_Dutch_words()
    {
        using var coordinator = As("coordinator;Coordinator");
        var bytes = await coordinator.GetByteArrayAsync(new Uri($"/api/processes/{_process}/audit?format=csv-excel", UriKind.Relative));
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
        var lines = System.Text.Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("Nr.;Tijdstip;Door;Rol;Handeling;Gemeente;Toelichting;Resultaat;Hash"));
        Assert.That(lines, Has.Some.Matches(@"^\d+;03-09-2024 12:00:00;[^;]*;College \(bestuurssecretaris\);Besluit vastgelegd;GM0505;"), "12:00 in Amsterdam, Dutch role and action");
        Assert.That(lines, Has.Some.Contains(";Gemeentesecretaris;Geagendeerd;"));
    }

    /// <summary>The text of every row of the first worksheet.</summary>
    private static List<string[]> SheetRows(byte[] xlsx)
    {
        using var stream = new MemoryStream(xlsx);
        using var document = DocumentFormat.OpenXml.Packaging.SpreadsheetDocument.Open(stream, false);
        var sheet = document.WorkbookPart!.WorksheetParts.First().Worksheet;
        return sheet.Descendants<DocumentFormat.OpenXml.Spreadsheet.Row>()
            .Select(r => r.Elements<DocumentFormat.OpenXml.Spreadsheet.Cell>().Select(c => c.InnerText).ToArray()).ToList();
    }
}
