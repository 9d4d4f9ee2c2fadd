using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Drechtsteden.Decisions.Web.Tests.Browser;

/// <summary>
/// The real host on Kestrel (a free port on 127.0.0.1) on a seeded test database with a fake clock, and Debian's
/// Chromium driven by Playwright. Users sign in through the sign-in page with password "demo"; each user keeps
/// a browser context of their own (their own cookies), as several people at several desks would.
/// </summary>
public sealed class BrowserApp : IAsyncDisposable
{
    public const string Password = "demo";
    private readonly Dictionary<string, IPage> _pages = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];
    private readonly HashSet<string> _scanned = new(StringComparer.Ordinal);

    private BrowserApp(DecisionsAppFactory app, FakeTimeProvider clock, IPlaywright playwright, IBrowser browser, string baseUrl)
    {
        App = app;
        Clock = clock;
        Playwright = playwright;
        Browser = browser;
        BaseUrl = baseUrl;
    }

    public DecisionsAppFactory App { get; }
    public FakeTimeProvider Clock { get; }
    public IPlaywright Playwright { get; }
    public IBrowser Browser { get; }
    public string BaseUrl { get; }

    /// <summary>WCAG 2.1 A/AA violations axe found on the pages scanned so far ("page: rule (targets)").</summary>
    public IReadOnlyList<string> Violations => _violations;

    /// <summary>Screenshots go to artifacts/screenshots at the repository root (and are attached to the test).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot, "artifacts", "screenshots");

    public static async Task<BrowserApp> StartAsync(DateTimeOffset now)
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        var clock = new FakeTimeProvider(now);
        var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" }, testSignIn: false,
            services: services => services.AddSingleton<TimeProvider>(clock));
        app.UseKestrel(0);
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            if (await db.Users.FindAsync("auditor") is null)
                db.Users.Add(new UserAccount("auditor", "Controleur", "controle@example.org", Role.Auditor, regionCode: "drechtsteden"));
            if (await db.Users.FindAsync("admin") is null)
                db.Users.Add(new UserAccount("admin", "Beheerder", "beheer@example.org", Role.Admin));
            await db.SaveChangesAsync();
            var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserAccount>>();
            foreach (var user in db.Users.ToList())
                user.SetPasswordHash(hasher.HashPassword(user, Password));
            await db.SaveChangesAsync();
        }
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
        return new BrowserApp(app, clock, playwright, browser, address.TrimEnd('/'));
    }

    /// <summary>A college's weekly meetings, added through the calendar commands as its secretary.</summary>
    public async Task AddMeetingsAsync(string code, params DateOnly[] dates)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var meetings = scope.ServiceProvider.GetRequiredService<MeetingCommands>();
        foreach (var date in dates)
            await meetings.AddAsync(code, new Decisions.Agenda.MeetingChange(Amsterdam.At(date, new TimeOnly(10, 0))), ProcessDatabase.Secretary(code));
    }

    /// <summary>The user's page (their own browser context), at <paramref name="path"/>, signed in through the sign-in page when needed.</summary>
    /// <param name="width">The window's width: 1280 (a desk), or 390 (a phone, 390×844); each size is a browser context of its own.</param>
    public async Task<IPage> AsAsync(string user, string path, int width = 1280)
    {
        var key = width == 1280 ? user : $"{user}@{width}";
        if (!_pages.TryGetValue(key, out var page))
        {
            var context = await Browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = BaseUrl, Locale = "nl-NL", TimezoneId = "Europe/Amsterdam",
                ViewportSize = width == 1280 ? new ViewportSize { Width = 1280, Height = 900 } : new ViewportSize { Width = width, Height = 844 },
                IsMobile = width < 600, HasTouch = width < 600,
            });
            page = await context.NewPageAsync();
            page.SetDefaultTimeout(15_000);
            _pages[key] = page;
        }
        await page.GotoAsync(path);
        if (new Uri(page.Url).AbsolutePath == "/inloggen")
        {
            await page.GetByLabel("Gebruikersnaam").FillAsync(user);
            await page.GetByLabel("Wachtwoord").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Inloggen" }).ClickAsync();
            await page.WaitForURLAsync(url => !url.Contains("/inloggen", StringComparison.Ordinal));
            if (new Uri(page.Url).PathAndQuery != path)
                await page.GotoAsync(path);
        }
        return page;
    }

    /// <summary>Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page once per page name and collects what it finds.</summary>
    public async Task ScanAsync(IPage page, string name)
    {
        if (!_scanned.Add(name))
            return;
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        Assert.That(result.Passes, Is.Not.Empty, $"axe ran on {name}");
        foreach (var violation in result.Violations)
            _violations.Add($"{name}: {violation.Id} — {violation.Help} ({string.Join(", ", violation.Nodes.Select(n => n.Target.ToString()))})");
    }

    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        TestContext.AddTestAttachment(path, name);
    }

    /// <summary>After a failure: a screenshot and the HTML of every user's page, next to the screenshots.</summary>
    public async Task KeepEvidenceAsync(string test)
    {
        foreach (var (user, page) in _pages)
        {
            var name = $"failed-{test}-{user}";
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(ScreenshotDirectory, name + ".html"), await page.ContentAsync());
            TestContext.AddTestAttachment(Path.Combine(ScreenshotDirectory, name + ".png"), $"{user}: {page.Url}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Drechtsteden.Decisions.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? Path.GetTempPath();
    }
}
