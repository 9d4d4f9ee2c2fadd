using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Drechtsteden.Decisions.Web.Tests.Browser;

/// <summary>
/// The pages as a regiekamer uses them (issue 18): what the process page weighs and how fast it paints, every page at
/// phone width, no code names in the Dutch pages, live updates that keep what the user opened, the print overview.
/// One process with some history: five colleges scheduled, one amended, one deferred.
/// </summary>
[NonParallelizable]
public sealed class RegiekamerTests
{
    private static readonly string[] Codes = ProcessDatabase.Codes;
    private const string Title = "Regionale woonvisie Drechtsteden";
    private BrowserApp _app = null!;
    private Guid _process;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Monday 4 March 2030, 09:00.
        _app = await BrowserApp.StartAsync(Amsterdam.At(new DateOnly(2030, 3, 4), new TimeOnly(9, 0)));
        foreach (var code in Codes)
            await _app.AddMeetingsAsync(code, new DateOnly(2030, 3, 5), new DateOnly(2030, 3, 12), new DateOnly(2030, 3, 19), new DateOnly(2030, 3, 26));
        await using var scope = _app.App.Services.CreateAsyncScope();
        var pipeline = scope.ServiceProvider.GetRequiredService<CommandPipeline>();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var started = await pipeline.StartAsync(new StartProcess(Title, "2030-0000318", "Het college stelt de regionale woonvisie vast.", null,
            new DateOnly(2030, 3, 29), null, Participants: Codes), ProcessDatabase.Coordinator, "drechtsteden", new CommandKey(null, "start", "regiekamer"));
        _process = started.ProcessId;
        await pipeline.RunAsync(_process, new PlanTargetWeek(new DateOnly(2030, 3, 5)), ProcessDatabase.Coordinator, new CommandKey(null, "week", "regiekamer"));
        foreach (var code in Codes.Take(5))
        {
            var meeting = await db.Meetings.Where(m => m.MunicipalityCode == code).OrderBy(m => m.StartsAt).Select(m => m.Id).FirstAsync();
            await pipeline.RunAsync(_process, new ScheduleItem(meeting) { Municipality = code }, ProcessDatabase.Secretary(code), new CommandKey(null, "schedule", code));
        }
        _app.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2030, 3, 5), new TimeOnly(14, 0)));
        await pipeline.RunAsync(_process, new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: "Het college stelt de regionale woonvisie vast, met een lokale paragraaf.") { Municipality = Codes[0] },
            ProcessDatabase.College(Codes[0]), new CommandKey(null, "decide", Codes[0]));
        await pipeline.RunAsync(_process, new RecordDecision(DecisionOutcome.Deferred, 1, Reason: "Eerst naar de commissie.") { Municipality = Codes[1] },
            ProcessDatabase.College(Codes[1]), new CommandKey(null, "defer", Codes[1]));
        await pipeline.RunAsync(_process, new RecordDecision(DecisionOutcome.Adopted, 1) { Municipality = Codes[2] },
            ProcessDatabase.College(Codes[2]), new CommandKey(null, "decide", Codes[2]));
    }

    [TearDown]
    public async Task KeepEvidenceAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
            await _app.KeepEvidenceAsync(TestContext.CurrentContext.Test.Name);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    private string ProcessPath => $"/processen/{_process}";

    /// <summary>Every page, per role that sees it.</summary>
    private IEnumerable<(string User, string Path)> Pages() =>
    [
        ("coordinator", "/processen"), ("coordinator", ProcessPath), ("coordinator", "/processen/nieuw"), ("coordinator", "/berichten"),
        ("secretary-GM0590", "/te-agenderen"), ("secretary-GM0590", "/vergaderkalender"), ("secretary-GM0590", ProcessPath),
        ("college-GM0531", "/besluiten"), ("college-GM0531", $"/besluiten/{_process}"), ("admin", "/beheer/storingen"), ("auditor", ProcessPath),
    ];

    [Test]
    public async Task The_process_page_weighs_at_most_350_KB_first_40_KB_again_and_paints_within_a_second()
    {
        var context = await _app.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _app.BaseUrl, Locale = "nl-NL", ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/inloggen");
        await page.GetByLabel("Gebruikersnaam").FillAsync("coordinator");
        await page.GetByLabel("Wachtwoord").FillAsync(BrowserApp.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Inloggen" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/inloggen", StringComparison.Ordinal));
        // A first visit: nothing in the browser's cache (the sign-in page filled it).
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.clearBrowserCache");

        async Task<(long Bytes, List<string> Requests)> LoadAsync()
        {
            var finished = new List<IRequest>();
            void OnFinished(object? sender, IRequest request) { lock (finished) finished.Add(request); }
            page.RequestFinished += OnFinished;
            await page.GotoAsync(ProcessPath, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            await page.WaitForTimeoutAsync(500);
            page.RequestFinished -= OnFinished;
            long total = 0;
            var lines = new List<string>();
            foreach (var request in finished.Where(r => !r.Url.Contains("handler=Live", StringComparison.Ordinal)))
            {
                var sizes = await request.SizesAsync();
                var bytes = Math.Max(0, sizes.ResponseBodySize) + Math.Max(0, sizes.ResponseHeadersSize);
                total += bytes;
                lines.Add($"{new Uri(request.Url).PathAndQuery}: {bytes:N0} B");
            }
            return (total, lines);
        }

        var first = await LoadAsync();
        var lcp = await page.EvaluateAsync<double>("""
            () => new Promise(resolve => {
              new PerformanceObserver(list => { const e = list.getEntries(); resolve(e[e.length - 1].startTime); })
                .observe({ type: 'largest-contentful-paint', buffered: true });
              setTimeout(() => resolve(-1), 3000);
            })
            """);
        var repeat = await LoadAsync();
        var html = await page.EvaluateAsync<int>("() => document.documentElement.outerHTML.length");
        var figures = new JsonObject
        {
            ["measured"] = DateTimeOffset.UtcNow.ToString("O"),
            ["page"] = "/processen/{id} as the coordinator (7 colleges, 5 scheduled, 3 decided)",
            ["firstLoadBytes"] = first.Bytes, ["firstLoadRequests"] = new JsonArray(first.Requests.Select(r => (JsonNode?)r).ToArray()),
            ["repeatLoadBytes"] = repeat.Bytes, ["repeatLoadRequests"] = new JsonArray(repeat.Requests.Select(r => (JsonNode?)r).ToArray()),
            ["largestContentfulPaintMs"] = lcp, ["htmlCharacters"] = html,
            ["targets"] = new JsonObject { ["firstLoadBytes"] = 350 * 1024, ["repeatLoadBytes"] = 40 * 1024, ["largestContentfulPaintMs"] = 1000 },
        };
        var path = Path.Combine(BrowserApp.RepositoryRoot, "artifacts", "page-weight.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        TestContext.Out.WriteLine(figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        Assert.That(first.Requests, Has.None.Contains("mermaid"), "mermaid is loaded only when a diagram is opened");
        Assert.That(first.Bytes, Is.LessThanOrEqualTo(350 * 1024), string.Join("\n", first.Requests));
        Assert.That(repeat.Bytes, Is.LessThanOrEqualTo(40 * 1024), string.Join("\n", repeat.Requests));
        Assert.That(lcp, Is.InRange(0, 1000), "largest contentful paint in ms");
        await context.CloseAsync();
    }

    [Test]
    public async Task Every_page_fits_a_390_px_screen_without_sideways_scrolling_and_passes_axe_there()
    {
        var tooWide = new List<string>();
        foreach (var (user, path) in Pages())
        {
            var page = await _app.AsAsync(user, path, width: 390);
            var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            if (width > 390)
            {
                var culprits = await page.EvaluateAsync<string[]>("""
                    () => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
                            .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + e.className : ''))
                    """);
                tooWide.Add($"{user} {path}: {width} px ({string.Join(", ", culprits)})");
            }
            await _app.ScanAsync(page, $"{path.Replace(_process.ToString(), "{id}", StringComparison.Ordinal)} ({user}, 390 px)");
            if (user == "coordinator" && path == ProcessPath)
            {
                await BrowserApp.ScreenshotAsync(page, "09-proces-telefoon", fullPage: false);
                await page.Locator("#matrix").ScrollIntoViewIfNeededAsync();
                await BrowserApp.ScreenshotAsync(page, "09-matrix-telefoon", fullPage: false);
            }
            if (user == "coordinator" && path == "/processen")
                await BrowserApp.ScreenshotAsync(page, "10-processen-telefoon", fullPage: false);
        }
        Assert.That(tooWide, Is.Empty, "pages wider than the phone's screen");
        Assert.That(_app.Violations, Is.Empty, "axe-core found WCAG 2.1 A/AA violations at 390 px:\n" + string.Join("\n", _app.Violations));
    }

    [Test]
    public async Task Every_page_has_its_content_at_one_left_edge()
    {
        var edges = new Dictionary<string, double>();
        foreach (var (user, path) in Pages())
        {
            var page = await _app.AsAsync(user, path);
            edges[$"{user} {path}"] = await page.Locator("h1").First.EvaluateAsync<double>("e => Math.round(e.getBoundingClientRect().left)");
        }
        Assert.That(edges.Values.Distinct().Count(), Is.EqualTo(1), string.Join("\n", edges.Select(e => $"{e.Key}: {e.Value}")));
    }

    [Test]
    public async Task No_page_shows_a_code_name_of_the_workflow_definitions()
    {
        var catalog = _app.App.Services.GetRequiredService<WorkflowCatalog>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in catalog.All)
        {
            names.Add(d.DefinitionId);
            foreach (var machine in new[] { d.Process, d.Item })
            {
                foreach (var state in machine.States.Where(s => s.DisplayName != s.Name))
                    names.Add(state.Name);
                foreach (var t in machine.Transitions)
                {
                    if (t.Trigger is { } trigger)
                        names.Add(trigger);
                    names.UnionWith(t.Guards);
                    names.UnionWith(t.Actions);
                }
            }
            names.UnionWith(d.Timers.Select(t => t.Id));
        }
        var found = new List<string>();
        foreach (var (user, path) in Pages())
        {
            var page = await _app.AsAsync(user, path);
            // Open every folded section, the diagrams included (rendered by mermaid), so their text counts too.
            await page.EvaluateAsync("() => document.querySelectorAll('details').forEach(d => d.open = true)");
            if (await page.Locator("pre.mermaid").CountAsync() > 0)
                await Expect(page.Locator("pre.mermaid:not(:has(svg))")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
            var text = await page.Locator("body").InnerTextAsync();
            text += string.Join(" ", await page.Locator("pre.mermaid svg").AllTextContentsAsync());
            foreach (var name in names.Where(n => Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(n)}(?![\w-])")))
                found.Add($"{user} {path}: {name}");
        }
        Assert.That(found, Is.Empty, "code names in the Dutch pages");
    }

    [Test]
    public async Task A_live_update_keeps_open_sections_and_focus_and_the_status_follows()
    {
        var page = await _app.AsAsync("coordinator", ProcessPath);
        var version = await page.Locator("#live").GetAttributeAsync("data-version");
        await page.Locator("#auditlog > summary").ClickAsync();
        await page.Locator("#auditlog > summary").FocusAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Risico");

        // Meanwhile Sliedrecht's secretary schedules, outside the synchronous week (the coordinator hears of it).
        await using (var scope = _app.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            var meeting = await db.Meetings.Where(m => m.MunicipalityCode == Codes[5]).OrderByDescending(m => m.StartsAt).Select(m => m.Id).FirstAsync();
            await scope.ServiceProvider.GetRequiredService<CommandPipeline>().RunAsync(_process, new ScheduleItem(meeting) { Municipality = Codes[5] },
                ProcessDatabase.Secretary(Codes[5]), new CommandKey(null, "schedule", "live"));
        }
        await Expect(page.Locator("#live")).Not.ToHaveAttributeAsync("data-version", version!, new() { Timeout = 8_000 });
        await Expect(page.Locator($"#matrix tr[data-gemeente='{Codes[5]}']")).ToContainTextAsync("vergadert na de synchrone week");
        await Expect(page.Locator("#auditlog")).ToHaveJSPropertyAsync("open", true);
        Assert.That(await page.EvaluateAsync<string>("() => document.activeElement && document.activeElement.id"), Is.EqualTo("auditlog-summary"));
        await Expect(page.Locator("#spreiding")).ToContainTextAsync("21 dagen");

        var messages = await _app.AsAsync("coordinator", "/berichten");
        await Expect(messages.Locator("article.message").Filter(new() { HasText = "Buiten de synchrone week" })).ToHaveCountAsync(1);
        await Expect(messages.Locator("article.message").Filter(new() { HasText = "Afwijkend besluit" })).ToHaveCountAsync(1);
        await Expect(messages.Locator("article.message").Filter(new() { HasText = "Aangehouden door" })).ToHaveCountAsync(1);
    }

    [Test]
    public async Task The_list_finds_by_title_and_zaaknummer_filters_on_my_actions_and_shows_the_lights()
    {
        var list = await _app.AsAsync("coordinator", "/processen");
        var row = list.Locator("#processen tbody tr").Filter(new() { HasText = Title });
        await Expect(row).ToContainTextAsync("Risico");
        await Expect(row).ToContainTextAsync("afwijkend besluit");
        await Expect(row).ToContainTextAsync("concept herzien of afwijking bespreken");

        await list.GotoAsync("/processen?q=0000318");
        await Expect(list.Locator("#processen tbody tr")).ToHaveCountAsync(1);
        await list.GotoAsync("/processen?q=bestaat-niet");
        await Expect(list.Locator("#geen-processen")).ToBeVisibleAsync();
        await list.GotoAsync("/processen?q=woonvisie&mijn=true&sorteer=licht");
        await Expect(list.Locator("#processen tbody tr")).ToHaveCountAsync(1);

        // Papendrecht's college met on 5 March and has to record its decision: "mijn acties" shows it.
        var college = await _app.AsAsync("college-GM0531", "/processen?mijn=true");
        await Expect(college.Locator("#processen tbody tr").Filter(new() { HasText = Title })).ToContainTextAsync("besluit vastleggen");
        var decided = await _app.AsAsync("college-GM0523", "/processen?mijn=true");
        await Expect(decided.Locator("#geen-processen")).ToBeVisibleAsync();
    }

    [Test]
    public async Task The_decision_form_is_offered_only_for_an_item_that_awaits_a_decision()
    {
        // Hardinxveld-Giessendam adopted on 5 March: nothing awaits its college, so no form (saving it would fail).
        var decided = await _app.AsAsync("college-GM0523", $"/besluiten/{_process}");
        await Expect(decided.Locator("#geen-besluit-nodig")).ToContainTextAsync("Uw college legde al een besluit vast: Vastgesteld");
        await Expect(decided.Locator("form#besluit")).ToHaveCountAsync(0);
        // Hendrik-Ido-Ambacht met on 5 March and has not recorded yet: the form.
        var awaiting = await _app.AsAsync("college-GM0531", $"/besluiten/{_process}");
        await Expect(awaiting.Locator("form#besluit")).ToBeVisibleAsync();
    }

    [Test]
    public async Task Messages_are_read_or_unread_and_come_by_mail_as_the_user_chose()
    {
        var page = await _app.AsAsync("coordinator", "/berichten");
        await Expect(page.Locator("a[href='/berichten'] .nav-count")).ToBeVisibleAsync();
        var unread = await page.Locator("article.message--unread").CountAsync();
        Assert.That(unread, Is.GreaterThan(0));
        await page.Locator("article.message--unread").First.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Gelezen") }).ClickAsync();
        await Expect(page.Locator("article.message--unread")).ToHaveCountAsync(unread - 1);

        // Signals in the app only from now on; escalations always by mail (not offered).
        await page.GetByLabel(new Regex("^Signaleringen")).UncheckAsync();
        await Expect(page.Locator("#per-mail-escalation")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Voorkeuren opslaan" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Per e-mail krijgt u niet meer: signalering");
        await Expect(page.GetByLabel(new Regex("^Signaleringen"))).Not.ToBeCheckedAsync();

        // Zwijndrecht schedules outside the synchronous week: the signal is in the app, not sent by mail.
        await using (var scope = _app.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            var meeting = await db.Meetings.Where(m => m.MunicipalityCode == Codes[6]).OrderByDescending(m => m.StartsAt).Select(m => m.Id).FirstAsync();
            await scope.ServiceProvider.GetRequiredService<CommandPipeline>().RunAsync(_process, new ScheduleItem(meeting) { Municipality = Codes[6] },
                ProcessDatabase.Secretary(Codes[6]), new CommandKey(null, "schedule", "preference"));
            var signal = await db.Outbox.AsNoTracking().Where(m => m.RecipientUserId == "coordinator" && m.Kind == "signal" && m.MunicipalityCode == Codes[6]).SingleAsync();
            Assert.That(signal.Status, Is.EqualTo(Notifications.OutboxStatus.InAppOnly));
        }
        await page.ReloadAsync();
        await Expect(page.Locator("article.message").First).ToContainTextAsync("alleen in de app (uw keuze)");
        await _app.ScanAsync(page, "berichten met voorkeuren");
        await page.GetByRole(AriaRole.Button, new() { Name = "Alles als gelezen markeren" }).ClickAsync();
        await Expect(page.Locator("article.message--unread")).ToHaveCountAsync(0);
        await Expect(page.Locator("a[href='/berichten'] .nav-count")).ToHaveCountAsync(0);
        Assert.That(_app.Violations, Is.Empty, string.Join("\n", _app.Violations));
    }

    [Test]
    public async Task Printing_the_process_page_gives_one_page_of_status()
    {
        var page = await _app.AsAsync("coordinator", ProcessPath);
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        await Expect(page.Locator("#status")).ToBeVisibleAsync();
        await Expect(page.Locator("#matrix")).ToBeVisibleAsync();
        await Expect(page.Locator(".actions")).ToBeHiddenAsync();
        await Expect(page.Locator("#auditlog")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserApp.ScreenshotDirectory, "11-proces-afdruk.png"), FullPage = true });
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4", PrintBackground = true, Path = Path.Combine(BrowserApp.ScreenshotDirectory, "11-proces-afdruk.pdf") });
        var pages = Regex.Count(System.Text.Encoding.Latin1.GetString(pdf), @"/Type\s*/Page[^s]");
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Screen });
        Assert.That(pages, Is.EqualTo(1), "the status overview fits one A4 page");
    }
}
