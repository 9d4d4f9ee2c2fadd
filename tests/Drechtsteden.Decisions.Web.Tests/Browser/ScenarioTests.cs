using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Drechtsteden.Decisions.Web.Tests.Browser;

/// <summary>
/// The whole Drechtsteden scenario in the browser, every role signing in through the sign-in page: the coordinator
/// starts the process, seven secretaries schedule (one with the keyboard alone), the colleges decide — one defers,
/// one amends —, the coordinator revises the concept, everyone schedules and decides again, the process is
/// synchronized and published. axe-core scans every page on the way; screenshots are written for the README.
/// </summary>
[NonParallelizable]
public sealed class ScenarioTests
{
    private static readonly string[] Codes = ProcessDatabase.Codes;
    private const string Concept = "Het college besluit in te stemmen met de doorontwikkeling van de bestuurlijke samenwerking Drechtsteden.";
    private const string Amended = "Het college besluit in te stemmen met de doorontwikkeling van de bestuurlijke samenwerking Drechtsteden, met een jaarlijkse evaluatie.";
    private const string Amender = "GM0505"; // Dordrecht
    private const string Deferrer = "GM0642"; // Zwijndrecht
    private const string KeyboardUser = "GM0482"; // Alblasserdam
    private const string Title = "Doorontwikkeling bestuurlijke samenwerking Drechtsteden";

    private BrowserApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Monday 4 February 2030, 09:00 in Dordrecht: every college meets on Tuesdays at 10:00.
        _app = await BrowserApp.StartAsync(Amsterdam.At(new DateOnly(2030, 2, 4), new TimeOnly(9, 0)));
        foreach (var code in Codes)
            await _app.AddMeetingsAsync(code, new DateOnly(2030, 2, 5), new DateOnly(2030, 2, 12), new DateOnly(2030, 2, 19), new DateOnly(2030, 2, 26));
    }

    [TearDown]
    public async Task KeepEvidenceAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
            await _app.KeepEvidenceAsync(TestContext.CurrentContext.Test.Name);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task The_Drechtsteden_scenario_runs_start_to_publication_in_the_browser()
    {
        // The coordinator starts the process.
        var coordinator = await _app.AsAsync("coordinator", "/processen/nieuw");
        await _app.ScanAsync(coordinator, "nieuw proces");
        await coordinator.GetByLabel("Titel").FillAsync(Title);
        await coordinator.GetByLabel("Zaaknummer").FillAsync("2023-0080716");
        await coordinator.GetByLabel("Termijn (uiterlijke besluitdatum)").FillAsync("2030-03-29");
        await coordinator.GetByLabel("Concept-besluittekst").FillAsync(Concept);
        await coordinator.GetByLabel("Raadsinformatiebrief (optioneel)").FillAsync("## Wat is de te delen informatie?\n\nDe zeven colleges besluiten gelijkluidend over de doorontwikkeling.");
        await BrowserApp.ScreenshotAsync(coordinator, "01-nieuw-proces");
        await coordinator.GetByRole(AriaRole.Button, new() { Name = "Proces starten" }).ClickAsync();
        await coordinator.WaitForURLAsync(new Regex("/processen/[0-9a-f-]{36}$"));
        var processPath = new Uri(coordinator.Url).AbsolutePath;
        await Expect(coordinator.GetByRole(AriaRole.Status)).ToContainTextAsync("Het proces is gestart.");
        await Expect(coordinator.Locator("#matrix tbody tr")).ToHaveCountAsync(7);
        await Expect(coordinator.Locator("#status")).ToContainTextAsync("vrijdag 29 maart 2030"); // the deadline's own day, not the midnight after it

        // The next step is to set the synchronous week; the product proposes the first week in which all seven meet.
        await Expect(coordinator.Locator("#volgende-stap")).ToHaveTextAsync("synchrone week vaststellen");
        await Expect(coordinator.Locator("#actie-planTargetWeek")).ToHaveJSPropertyAsync("open", true);
        await Expect(coordinator.Locator("#actie-planTargetWeek")).ToContainTextAsync("week 6 (4 februari t/m 10 februari 2030)");
        await coordinator.GetByRole(AriaRole.Button, new() { Name = "Voorstel vaststellen" }).ClickAsync();
        await Expect(coordinator.GetByRole(AriaRole.Status)).ToContainTextAsync("De synchrone week is vastgesteld: week 6");
        await Expect(coordinator.Locator("#synchrone-week")).ToContainTextAsync("week 6");

        // Seven secretaries schedule on Tuesday 5 February; Alblasserdam's with the keyboard alone.
        await ScheduleWithKeyboardAsync(KeyboardUser);
        foreach (var code in Codes.Where(c => c != KeyboardUser && c != Deferrer))
            await ScheduleAsync(code);
        // The coordinator's page is open: the last scheduling shows up there without a reload.
        await coordinator.GotoAsync(processPath);
        await Expect(Row(coordinator, Deferrer)).ToContainTextAsync("Te agenderen");
        await ScheduleAsync(Deferrer);
        await Expect(Row(coordinator, Deferrer)).ToContainTextAsync("Geagendeerd", new() { Timeout = 6_000 });

        // Tuesday afternoon: the colleges decide. Dordrecht amends, Zwijndrecht defers, the rest adopt.
        _app.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2030, 2, 5), new TimeOnly(14, 0)));
        await DecideAsync(Amender, "Vastgesteld met wijzigingen", text: Amended, screenshot: "05-besluit-met-wijziging");
        await DecideAsync(Deferrer, "Aangehouden", reason: "Eerst bespreken met de raadscommissie.");
        foreach (var code in Codes.Where(c => c != Amender && c != Deferrer))
            await DecideAsync(code, "Vastgesteld");

        // The coordinator sees the divergence and the word diff, and revises the concept to the amended text.
        coordinator = await _app.AsAsync("coordinator", processPath);
        await Expect(coordinator.Locator("#proces-stand")).ToContainTextAsync("Afwijkend");
        await Expect(Row(coordinator, Amender)).ToContainTextAsync("✗ nee");
        await Expect(coordinator.Locator(".diff ins").First).ToContainTextAsync("jaarlijkse evaluatie");
        await Expect(coordinator.Locator("#volgende-stap")).ToHaveTextAsync("concept herzien of afwijking bespreken");
        await Expect(Row(coordinator, Amender)).ToContainTextAsync("Risico: afwijkend besluit");
        // The diagrams are folded (mermaid loads only when they are opened) and speak Dutch.
        Assert.That(await coordinator.EvaluateAsync<bool>("() => !!window.mermaid"), Is.False, "mermaid is not loaded before a diagram is opened");
        await coordinator.Locator("#werkstroom > summary").ClickAsync();
        await Expect(coordinator.Locator("pre.mermaid svg").First).ToBeVisibleAsync();
        await Expect(coordinator.Locator("pre.mermaid svg").First).ToContainTextAsync("Afwijkend");
        Assert.That(await coordinator.Locator("#werkstroom").InnerTextAsync(), Does.Not.Contain("Diverged").And.Not.Contain("OwnMunicipality"));
        await BrowserApp.ScreenshotAsync(coordinator, "06-proces-afwijkend");
        await _app.ScanAsync(coordinator, "procespagina");
        await coordinator.GetByLabel("Nieuwe concepttekst").FillAsync(Amended);
        await coordinator.GetByLabel("Toelichting").FillAsync("Jaarlijkse evaluatie overgenomen uit Dordrecht.");
        await coordinator.GetByRole(AriaRole.Button, new() { Name = "Conceptversie vastleggen" }).ClickAsync();
        await Expect(coordinator.GetByRole(AriaRole.Status)).ToContainTextAsync("nieuwe conceptversie");
        await Expect(coordinator.Locator("#live")).ToContainTextAsync("Versie 2");

        // The week of 4 February is over for the new version: the coordinator takes the next proposal, 11 to 17 February.
        await coordinator.Locator("#actie-planTargetWeek > summary").ClickAsync();
        await Expect(coordinator.Locator("#actie-planTargetWeek")).ToContainTextAsync("week 7 (11 februari t/m 17 februari 2030)");
        await coordinator.GetByRole(AriaRole.Button, new() { Name = "Voorstel vaststellen" }).ClickAsync();
        await Expect(coordinator.Locator("#synchrone-week")).ToContainTextAsync("week 7");

        // Everyone schedules again (next Tuesday) and decides on version 2.
        foreach (var code in Codes)
            await ScheduleAsync(code);
        _app.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2030, 2, 12), new TimeOnly(14, 0)));
        foreach (var code in Codes)
            await DecideAsync(code, "Vastgesteld");

        // Synchronized: the coordinator releases it for publication.
        coordinator = await _app.AsAsync("coordinator", processPath);
        await Expect(coordinator.Locator("#proces-stand")).ToContainTextAsync("Gelijkluidend besloten");
        await Expect(coordinator.Locator("#matrix .mark-yes")).ToHaveCountAsync(7);
        await coordinator.GetByRole(AriaRole.Button, new() { Name = "Publicatie vrijgeven" }).ClickAsync();
        await Expect(coordinator.Locator("#proces-stand")).ToContainTextAsync("Gepubliceerd");
        await Expect(coordinator.Locator("#audit-status")).ToContainTextAsync("Keten geverifieerd");
        await BrowserApp.ScreenshotAsync(coordinator, "07-proces-gepubliceerd");

        // Published, but not done: every council gets the raadsinformatiebrief, and each griffier confirms it.
        var waiting = await _app.AsAsync("coordinator", "/processen");
        await Expect(waiting.GetByRole(AriaRole.Link, new() { Name = Title })).ToBeVisibleAsync();
        await Expect(waiting.Locator("body")).ToContainTextAsync("afwachten: 0 van 7 raden geïnformeerd");
        await Expect(waiting.Locator("body")).ToContainTextAsync("Gepubliceerd");
        // Two griffiers through their pages; the other five confirm through the same command, as an integration would.
        string[] byPage = ["GM0505", "GM0482"];
        await using (var scope = _app.App.Services.CreateAsyncScope())
        {
            var pipeline = scope.ServiceProvider.GetRequiredService<CommandPipeline>();
            var id = Guid.Parse(processPath[(processPath.LastIndexOf('/') + 1)..]);
            foreach (var code in ProcessDatabase.Codes.Except(byPage))
            {
                await pipeline.RunAsync(id, new Decisions.Processes.ConfirmCouncil(Amsterdam.DateOf(_app.Clock.GetUtcNow())) { Municipality = code },
                    ProcessDatabase.Griffier(code), new CommandKey(null, "confirmCouncil", code));
            }
        }
        foreach (var code in byPage)
        {
            var griffier = await _app.AsAsync($"griffier-{code}", "/raad");
            await griffier.GetByRole(AriaRole.Link, new() { Name = "Brief bekijken en bevestigen" }).First.ClickAsync();
            await Expect(griffier.Locator("#briefhoofd")).ToContainTextAsync("de gemeenteraad van");
            await Expect(griffier.Locator("#briefvoet")).ToContainTextAsync("SHA-256");
            if (code == "GM0505")
            {
                await _app.ScanAsync(griffier, "raadsinformatiebrief");
                await BrowserApp.ScreenshotAsync(griffier, "08-raadsinformatiebrief");
            }
            await griffier.GetByRole(AriaRole.Button, new() { Name = "Bevestigen" }).ClickAsync();
            await Expect(griffier.Locator("body")).ToContainTextAsync("heeft de raadsinformatiebrief ontvangen");
            if (code == "GM0505")
                await _app.ScanAsync(griffier, "raad informeren");
        }
        coordinator = await _app.AsAsync("coordinator", processPath);
        await Expect(coordinator.Locator("#proces-stand")).ToContainTextAsync("Raden geïnformeerd");
        await Expect(coordinator.Locator("#matrix")).ToContainTextAsync("geïnformeerd");

        // The start page lists the open processes; a completed one is found under "Afgesloten" (or "Alle").
        var list = await _app.AsAsync("coordinator", "/processen");
        await Expect(list.GetByRole(AriaRole.Link, new() { Name = Title })).ToHaveCountAsync(0);
        await list.GetByLabel("Stand").SelectOptionAsync("afgesloten");
        await list.GetByRole(AriaRole.Button, new() { Name = "Toon" }).ClickAsync();
        await Expect(list.GetByRole(AriaRole.Link, new() { Name = Title })).ToBeVisibleAsync();
        await _app.ScanAsync(list, "processen");
        await BrowserApp.ScreenshotAsync(list, "00-processen");

        // The auditor reads the same process, with the verified audit trail.
        var auditor = await _app.AsAsync("auditor", processPath);
        await Expect(auditor.Locator("#audit-status")).ToContainTextAsync("Keten geverifieerd");
        await _app.ScanAsync(auditor, "procespagina (controleur)");

        // The administrator sees every process.
        var admin = await _app.AsAsync("admin", "/processen?stand=alle");
        await Expect(admin.GetByRole(AriaRole.Link, new() { Name = Title })).ToBeVisibleAsync();

        var signIn = await _app.Browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = _app.BaseUrl });
        await signIn.GotoAsync("/inloggen");
        await _app.ScanAsync(signIn, "inloggen");
        await signIn.CloseAsync();

        await using (var scope = _app.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            var process = await db.ProcessAggregates.AsNoTracking().SingleAsync(p => p.Reference == "2023-0080716");
            Assert.That(process.State, Is.EqualTo("CouncilsInformed"));
            Assert.That(process.Items.Select(i => i.CouncilInformedOn), Is.All.Not.Null);
            Assert.That(process.Items.All(i => i.Decisions.Count == (i.MunicipalityCode == Deferrer ? 2 : 2)), "each college decided twice (Zwijndrecht: deferral, then adoption)");
            Assert.That(process.Concepts, Has.Count.EqualTo(2));
        }
        Assert.That(_app.Violations, Is.Empty, "axe-core found WCAG 2.1 A/AA violations:\n" + string.Join("\n", _app.Violations));
    }

    [Test]
    public async Task Secretary_calendar_and_messages_pages_work_and_pass_axe()
    {
        var secretary = await _app.AsAsync("secretary-GM0590", "/vergaderkalender");
        await Expect(secretary.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Papendrecht");
        await Expect(secretary.Locator("main")).ToContainTextAsync("Zomerreces");
        await _app.ScanAsync(secretary, "vergaderkalender");

        await secretary.GetByLabel("Datum", new() { Exact = true }).FillAsync("2030-03-05");
        await secretary.GetByLabel("Tijd", new() { Exact = true }).FillAsync("09:30");
        await secretary.GetByRole(AriaRole.Button, new() { Name = "Toevoegen" }).ClickAsync();
        await Expect(secretary.GetByRole(AriaRole.Status)).ToContainTextAsync("is toegevoegd");
        var added = secretary.GetByRole(AriaRole.Row).Filter(new() { HasText = "dinsdag 5 maart 2030 09:30" });
        await Expect(added).ToHaveCountAsync(1);
        await BrowserApp.ScreenshotAsync(secretary, "03-vergaderkalender");

        await added.Locator("summary").ClickAsync();
        await added.GetByLabel(new Regex("^Nieuwe tijd")).FillAsync("13:00");
        await added.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Vergadering verplaatsen") }).ClickAsync();
        await Expect(secretary.GetByRole(AriaRole.Status)).ToContainTextAsync("verplaatst");
        await Expect(secretary.GetByRole(AriaRole.Status)).ToContainTextAsync("verplaatst naar dinsdag 5 maart 2030, 13:00");
        var moved = secretary.GetByRole(AriaRole.Row).Filter(new() { HasText = "dinsdag 5 maart 2030 13:00" });
        // Cancelling asks first: "no" leaves the meeting planned, "yes" cancels it.
        var asked = new List<string>();
        void Dismiss(object? sender, IDialog dialog) { asked.Add(dialog.Message); _ = dialog.DismissAsync(); }
        secretary.Dialog += Dismiss;
        await moved.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Annuleren") }).ClickAsync();
        await Expect(moved).ToContainTextAsync("Gepland");
        secretary.Dialog -= Dismiss;
        Assert.That(asked, Has.Count.EqualTo(1).And.All.Contains("annuleren?"));
        void Accept(object? sender, IDialog dialog) => _ = dialog.AcceptAsync();
        secretary.Dialog += Accept;
        await moved.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Annuleren") }).ClickAsync();
        await Expect(secretary.GetByRole(AriaRole.Status)).ToContainTextAsync("geannuleerd");
        await Expect(secretary.GetByRole(AriaRole.Row).Filter(new() { HasText = "dinsdag 5 maart 2030 13:00" })).ToContainTextAsync("Geannuleerd");
        secretary.Dialog -= Accept;

        // A risk alert reaches the coordinator's "Berichten" (through the same code the sweeper uses).
        Guid processId;
        await using (var scope = _app.App.Services.CreateAsyncScope())
        {
            // Due at Sliedrecht's next meeting: none is left before the deadline.
            var now = _app.Clock.GetUtcNow();
            var next = await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().Meetings.AsNoTracking()
                .Where(m => m.MunicipalityCode == "GM0610" && m.StartsAt > now).OrderBy(m => m.StartsAt).Select(m => (DateTimeOffset?)m.StartsAt).FirstOrDefaultAsync();
            var started = await scope.ServiceProvider.GetRequiredService<CommandPipeline>().StartAsync(
                new Decisions.Processes.StartProcess("Regionale energiestrategie", "2030-0000042", Concept, null, null, next ?? now.AddDays(7), Participants: Codes),
                ProcessDatabase.Coordinator, "drechtsteden", new CommandKey(null, "start", "berichten"));
            processId = started.ProcessId;
            var item = (await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().ProcessAggregates.AsNoTracking().FirstAsync(p => p.Id == processId)).Item("GM0610");
            Assert.That(await scope.ServiceProvider.GetRequiredService<CommandPipeline>().AlertRiskAsync(processId, item.Id), Is.True);
        }
        var messages = await _app.AsAsync("coordinator", "/berichten");
        await Expect(messages.Locator("article.message").First).ToContainTextAsync("geen collegevergadering meer");
        await _app.ScanAsync(messages, "berichten");
        await BrowserApp.ScreenshotAsync(messages, "08-berichten");

        // Signing out ends the session: the next page asks to sign in again.
        await messages.GetByRole(AriaRole.Button, new() { Name = "Uitloggen" }).ClickAsync();
        await messages.WaitForURLAsync(url => url.Contains("/inloggen", StringComparison.Ordinal));
        await messages.GotoAsync("/berichten");
        Assert.That(new Uri(messages.Url).AbsolutePath, Is.EqualTo("/inloggen"));
        Assert.That(_app.Violations, Is.Empty, "axe-core found WCAG 2.1 A/AA violations:\n" + string.Join("\n", _app.Violations));
    }

    private static ILocator Row(IPage page, string code) => page.Locator($"#matrix tr[data-gemeente='{code}']");

    private async Task ScheduleAsync(string code)
    {
        var page = await _app.AsAsync($"secretary-{code}", "/te-agenderen");
        await _app.ScanAsync(page, "te agenderen");
        var panel = page.Locator("section.panel").Filter(new() { HasText = Title });
        await panel.GetByRole(AriaRole.Button, new() { Name = "Agenderen" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync(new Regex("is geagendeerd op dinsdag \\d+ februari 2030, 10:00\\."));
    }

    /// <summary>Tab to the meeting list, choose with the arrow keys, Tab to the button, Enter: no mouse.</summary>
    private async Task ScheduleWithKeyboardAsync(string code)
    {
        var page = await _app.AsAsync($"secretary-{code}", "/te-agenderen");
        var select = page.Locator("section.panel").Filter(new() { HasText = Title }).Locator("select");
        var selectId = await select.GetAttributeAsync("id");
        var options = await select.Locator("option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)");
        Assert.That(options, Has.Length.GreaterThanOrEqualTo(2));
        await page.Locator("body").FocusAsync();
        var presses = 0;
        while (await page.EvaluateAsync<string?>("() => document.activeElement && document.activeElement.id") != selectId)
        {
            Assert.That(++presses, Is.LessThan(40), "the meeting list is reachable with Tab");
            await page.Keyboard.PressAsync("Tab");
        }
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.That(await select.InputValueAsync(), Is.EqualTo(options[1]), "arrow down chooses the next meeting");
        await page.Keyboard.PressAsync("ArrowUp");
        Assert.That(await select.InputValueAsync(), Is.EqualTo(options[0]));
        await BrowserApp.ScreenshotAsync(page, "02-te-agenderen");
        await page.Keyboard.PressAsync("Tab");
        Assert.That(await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()"), Is.EqualTo("Agenderen"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync(new Regex("is geagendeerd op dinsdag \\d+ februari 2030, 10:00\\."));
    }

    private async Task DecideAsync(string code, string outcome, string? text = null, string? reason = null, string? screenshot = null)
    {
        var page = await _app.AsAsync($"college-{code}", "/besluiten");
        await _app.ScanAsync(page, "besluiten");
        await page.GetByRole(AriaRole.Row).Filter(new() { HasText = Title }).GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Besluit vastleggen") }).ClickAsync();
        if (screenshot is not null)
        {
            // Neutral radios before anything was done; sent without an outcome, an error summary takes focus and leads to the field.
            const string Border = "e => getComputedStyle(e).borderTopColor";
            var untouched = await page.Locator("input[name='Uitkomst']").First.EvaluateAsync<string>(Border);
            await page.GetByRole(AriaRole.Button, new() { Name = "Besluit vastleggen" }).ClickAsync();
            await Expect(page.Locator("[data-error-summary]")).ToBeFocusedAsync();
            await Expect(page.Locator("[data-error-summary]")).ToContainTextAsync("Kies wat het college besloot.");
            await _app.ScanAsync(page, "besluit vastleggen met foutmelding");
            await page.Locator("[data-error-summary] a").First.ClickAsync();
            Assert.That(await page.EvaluateAsync<string>("() => document.activeElement.name"), Is.EqualTo("Uitkomst"), "the summary's link leads to the field");
            Assert.That(await page.Locator("input[name='Uitkomst']").First.EvaluateAsync<string>(Border), Is.Not.EqualTo(untouched),
                "after the refusal the radios are marked invalid; before anything was done they were not");
        }
        await page.GetByLabel(outcome, new() { Exact = true }).CheckAsync();
        if (text is not null)
        {
            await page.GetByLabel("Vastgestelde tekst").FillAsync(text);
            await Expect(page.Locator("#verschil ins").First).ToContainTextAsync("jaarlijkse evaluatie");
            await Expect(page.Locator("#verschil")).Not.ToContainTextAsync("Kies bij vaststelling", new() { Timeout = 5_000 });
        }
        if (reason is not null)
            await page.GetByLabel(new Regex("^Reden")).FillAsync(reason);
        await _app.ScanAsync(page, "besluit vastleggen");
        if (screenshot is not null)
            await BrowserApp.ScreenshotAsync(page, screenshot);
        await page.GetByRole(AriaRole.Button, new() { Name = "Besluit vastleggen" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync(outcome == "Aangehouden" ? "aanhouden is vastgelegd" : "Het besluit is vastgelegd.");
    }
}
