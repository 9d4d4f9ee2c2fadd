using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Users;
using Hangfire;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>The findings of the security review, each against the real sign-in (cookie and antiforgery, or an API token).</summary>
public sealed partial class SecurityTests
{
    private const string Password = "een lang geheim";
    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task Seed()
    {
        _database = await Jobs.TimerHarness.SeededDatabaseAsync();
        await using var app = App();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserAccount>>();
        db.Users.Add(new UserAccount("admin", "Beheerder", "beheer@example.org", Role.Admin));
        db.Users.Add(new UserAccount("auditor", "Accountant", "accountant@example.org", Role.Auditor));
        db.Regions.Add(new Drechtsteden.Decisions.Regions.Region("elders", "Elders", ["GM0505"]));
        await db.SaveChangesAsync();
        db.Users.Add(new UserAccount("coordinator-elders", "Coördinator elders", "elders@example.org", Role.Coordinator, regionCode: "elders"));
        await db.SaveChangesAsync();
        foreach (var user in await db.Users.ToListAsync())
            user.SetPasswordHash(hasher.HashPassword(user, Password));
        await db.SaveChangesAsync();
    }

    private DecisionsAppFactory App(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?> { ["Jobs:Server"] = "false" };
        foreach (var (key, value) in settings ?? [])
            all[key] = value;
        return new DecisionsAppFactory(_database.App, settings: all, testSignIn: false, services: services);
    }

    /// <summary>Signs in through the Dutch form, as a browser does; returns the client holding the cookie.</summary>
    private static async Task<HttpClient> SignInAsync(DecisionsAppFactory app, string user, string? returnUrl = null)
    {
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = await FormTokenAsync(browser);
        using var response = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative), Form(("__RequestVerificationToken", token), ("gebruikersnaam", user),
            ("wachtwoord", Password), ("returnUrl", returnUrl ?? "/")));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), $"sign-in of {user}");
        Assert.That(response.Headers.Location!.ToString(), Does.Not.StartWith("/inloggen"), $"sign-in of {user} failed");
        return browser;
    }

    private static async Task<string> FormTokenAsync(HttpClient browser) =>
        AntiforgeryField().Match(await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative))).Groups[1].Value;

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) => new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [Test]
    public async Task A_process_is_read_by_its_region_and_its_municipalities_only_as_resource_and_as_page()
    {
        await using var app = App();
        var process = await Jobs.TimerHarness.StartAsync(app, DateTimeOffset.UtcNow.AddDays(60), "GM0505", "GM0590");
        foreach (var (user, sees) in new[]
        {
            ("auditor", true), ("admin", true), ("coordinator", true), ("secretary-GM0505", true), ("college-GM0590", true),
            ("coordinator-elders", false), ("secretary-GM0482", false), ("college-GM0482", false),
        })
        {
            using var browser = await SignInAsync(app, user);
            using var resource = await browser.GetAsync(new Uri($"/api/processes/{process}", UriKind.Relative));
            Assert.That(resource.StatusCode, Is.EqualTo(sees ? HttpStatusCode.OK : HttpStatusCode.NotFound), $"{user}: the resource");
            using var page = await browser.GetAsync(new Uri($"/processen/{process}", UriKind.Relative));
            Assert.That(page.StatusCode, Is.EqualTo(sees ? HttpStatusCode.OK : HttpStatusCode.NotFound), $"{user}: the page");
            using var list = await browser.GetAsync(new Uri("/api/processes", UriKind.Relative));
            Assert.That(await list.Content.ReadAsStringAsync(), sees ? Does.Contain(process.ToString()) : Does.Not.Contain(process.ToString()), $"{user}: the list");
        }
    }

    [Test]
    public async Task A_commands_notice_survives_a_live_refresh_that_arrives_before_the_page()
    {
        // The page polls its live region every 2 s. A poll sent after the command's redirect set the notice, but before
        // the browser fetched the page, used to take the notice (TempData is read once) and the page showed none.
        await using var app = App();
        var process = await Jobs.TimerHarness.StartAsync(app, DateTimeOffset.UtcNow.AddDays(60), "GM0505", "GM0590");
        using var browser = await SignInAsync(app, "coordinator");
        var page = await browser.GetStringAsync(new Uri($"/processen/{process}", UriKind.Relative));
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        var newDeadline = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(90)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using (var extended = await browser.PostAsync(new Uri($"/processen/{process}?handler=Extend", UriKind.Relative),
                   Form(("__RequestVerificationToken", token), ("NieuweTermijn", newDeadline), ("Reden", "De raad vergadert later"))))
            Assert.That(extended.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the extension is accepted");

        using (var live = await browser.GetAsync(new Uri($"/processen/{process}?handler=Live&stamp=x", UriKind.Relative)))
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var after = await browser.GetStringAsync(new Uri($"/processen/{process}", UriKind.Relative));

        Assert.That(after, Does.Contain("De termijn is verlengd."), "the notice is shown on the page after the command");
    }

    [Test]
    public async Task The_development_mailbox_is_for_administrators_only()
    {
        await using var app = App();
        using var anonymous = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using (var response = await anonymous.GetAsync(new Uri("/dev/mailbox", UriKind.Relative)))
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect).Or.EqualTo(HttpStatusCode.Unauthorized), "no sign-in, no messages");
        using var secretary = await SignInAsync(app, "secretary-GM0505");
        using (var response = await secretary.GetAsync(new Uri("/dev/mailbox", UriKind.Relative)))
        {
            Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.OK), "a secretary does not read everyone's mail");
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("Verzonden berichten"));
        }
        using var admin = await SignInAsync(app, "admin");
        using var allowed = await admin.GetAsync(new Uri("/dev/mailbox", UriKind.Relative));
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await allowed.Content.ReadAsStringAsync(), Does.Contain("Verzonden berichten"));
    }

    [TestCase("/\t/evil.example")]
    [TestCase("/%09/evil.example")]
    [TestCase("//evil.example")]
    [TestCase("/\\evil.example")]
    [TestCase("/%5Cevil.example")]
    [TestCase("/%2F%2Fevil.example")]
    [TestCase("/%2f/evil.example")]
    [TestCase("/\r\n/evil.example")]
    [TestCase("https://evil.example/")]
    [TestCase("\\\\evil.example")]
    [TestCase(" /evil")]
    public async Task After_sign_in_only_a_local_path_is_followed(string returnUrl)
    {
        Assert.That(LocalUrl.IsSafe(returnUrl), Is.False);
        await using var app = App();
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = await FormTokenAsync(browser);
        using var response = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative),
            Form(("__RequestVerificationToken", token), ("gebruikersnaam", "coordinator"), ("wachtwoord", Password), ("returnUrl", returnUrl)));
        Assert.That(response.Headers.Location!.ToString(), Is.EqualTo("/"));
    }

    [Test]
    public void A_local_path_with_a_query_is_kept()
    {
        Assert.That(LocalUrl.IsSafe("/processen/0199?tab=audit#x"), Is.True);
        Assert.That(LocalUrl.IsSafe("/"), Is.True);
    }

    [Test]
    public async Task Failed_sign_ins_are_limited_per_address_and_successful_ones_are_not()
    {
        await using var app = App(new() { ["Auth:SignInFailuresPerMinute"] = "3" });
        for (var i = 0; i < 5; i++)
            (await SignInAsync(app, "coordinator")).Dispose(); // a whole office signs in from one address

        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = await FormTokenAsync(browser);
        var statuses = new List<HttpStatusCode>();
        foreach (var password in new[] { "fout 1", "fout 2", "fout 3", "fout 4", Password })
        {
            using var attempt = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative),
                Form(("__RequestVerificationToken", token), ("gebruikersnaam", "coordinator"), ("wachtwoord", password)));
            statuses.Add(attempt.StatusCode);
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests)
                Assert.That(await attempt.Content.ReadAsStringAsync(), Does.Contain("Te veel mislukte pogingen"));
        }
        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests }),
            "after three failures even the right password waits a minute, or guessing would not be slowed");
        using var form = await browser.GetAsync(new Uri("/inloggen", UriKind.Relative));
        Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the form itself stays readable");
    }

    /// <summary>Counts the password checks: an unknown user name must cost one, as a known one does.</summary>
    private sealed class CountingHasher : IPasswordHasher<UserAccount>
    {
        private readonly PasswordHasher<UserAccount> _inner = new();

        public int Verifications;

        public string HashPassword(UserAccount user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(UserAccount user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref Verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    [Test]
    public async Task An_unknown_user_name_costs_a_password_check_as_a_known_one_does()
    {
        var hasher = new CountingHasher();
        await using var app = App(services: s => s.AddSingleton<IPasswordHasher<UserAccount>>(hasher));
        await using var scope = app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<TokenService>();

        Assert.That(await tokens.CheckPasswordAsync("coordinator", "fout", CancellationToken.None), Is.Null);
        Assert.That(hasher.Verifications, Is.EqualTo(1));
        Assert.That(await tokens.CheckPasswordAsync("niemand-bekend", "fout", CancellationToken.None), Is.Null);
        Assert.That(hasher.Verifications, Is.EqualTo(2), "the unknown name took the same PBKDF2 work (no timing oracle)");
    }

    [Test]
    public async Task A_session_ends_within_the_revalidation_period_after_deactivation_or_a_role_change()
    {
        await using var app = App(new() { ["Auth:SessionRevalidation"] = "00:00:00" });
        using var secretary = await SignInAsync(app, "secretary-GM0482");
        using var college = await SignInAsync(app, "college-GM0482");
        using (var ok = await secretary.GetAsync(new Uri("/processen", UriKind.Relative)))
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            await db.Database.ExecuteSqlRawAsync("UPDATE users SET active = false WHERE id = 'secretary-GM0482'");
            await db.Database.ExecuteSqlRawAsync("UPDATE users SET role = 'Secretary' WHERE id = 'college-GM0482'");
        }
        try
        {
            using var deactivated = await secretary.GetAsync(new Uri("/processen", UriKind.Relative));
            Assert.That(deactivated.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            Assert.That(deactivated.Headers.Location!.ToString(), Does.Contain("/inloggen"), "a deactivated account is signed out");
            using var changed = await college.GetAsync(new Uri("/api/processes", UriKind.Relative));
            Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a changed role ends the session: the next sign-in carries the new one");
        }
        finally
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            await db.Database.ExecuteSqlRawAsync("UPDATE users SET active = true WHERE id = 'secretary-GM0482'");
            await db.Database.ExecuteSqlRawAsync("UPDATE users SET role = 'College' WHERE id = 'college-GM0482'");
        }
    }

    /// <summary>Every request arrives from 127.0.0.1, as from a reverse proxy on the same machine.</summary>
    private static void FromLoopback(IServiceCollection services) => services.AddSingleton<IStartupFilter>(new LoopbackFilter());

    private sealed class LoopbackFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Loopback;
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private static async Task<List<HttpStatusCode>> TokenRequestsAsync(HttpClient client, bool distinctAddresses, string prefix = "203.0.113.")
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/token") { Content = JsonContent.Create(new { userName = "coordinator", password = "fout" }) };
            request.Headers.Add("X-Forwarded-For", distinctAddresses ? $"{prefix}{i + 1}" : $"{prefix}99");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    [Test]
    public async Task Forwarded_headers_count_only_from_a_configured_proxy()
    {
        await using (var untrusted = App(new() { ["Auth:TokenRequestsPerMinute"] = "2" }, FromLoopback))
        {
            var statuses = await TokenRequestsAsync(untrusted.CreateClient(), distinctAddresses: true);
            Assert.That(statuses.Count(s => s == HttpStatusCode.TooManyRequests), Is.EqualTo(2), "without a known proxy, X-Forwarded-For is anyone's to send: ignored");
        }
        await using var trusted = App(new() { ["Auth:TokenRequestsPerMinute"] = "2", ["ForwardedHeaders:KnownProxies"] = "127.0.0.1" }, FromLoopback);
        var fromClients = await TokenRequestsAsync(trusted.CreateClient(), distinctAddresses: true);
        Assert.That(fromClients, Has.None.EqualTo(HttpStatusCode.TooManyRequests), "behind the proxy each client has its own limit");
        var fromOne = await TokenRequestsAsync(trusted.CreateClient(), distinctAddresses: false, prefix: "198.51.100.");
        Assert.That(fromOne.Count(s => s == HttpStatusCode.TooManyRequests), Is.EqualTo(2));
    }

    [Test]
    public async Task In_Production_behind_a_TLS_proxy_cookies_are_Secure_and_HSTS_is_sent()
    {
        await using var app = App(new()
        {
            ["environment"] = "Production",
            ["Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            ["ForwardedHeaders:KnownProxies"] = "127.0.0.1",
        }, FromLoopback);
        // The proxy speaks HTTPS to the browser and HTTP to the app; the client keeps no cookies, the test carries them.
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = new Uri("http://decisions.example.org") });
        browser.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        using var form = await browser.GetAsync(new Uri("/inloggen", UriKind.Relative));
        Assert.That(form.Headers.Contains("Strict-Transport-Security"), Is.True, "HSTS once the proxy says the request was HTTPS");
        var antiforgeryCookie = form.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("drechtsteden.af", StringComparison.Ordinal));
        Assert.That(antiforgeryCookie, Does.Contain("secure").IgnoreCase, "the request was HTTPS at the proxy");
        var token = AntiforgeryField().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/inloggen")
        {
            Content = Form(("__RequestVerificationToken", token), ("gebruikersnaam", "coordinator"), ("wachtwoord", Password)),
        };
        post.Headers.Add("Cookie", antiforgeryCookie.Split(';')[0]);
        using var signedIn = await browser.SendAsync(post);
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await signedIn.Content.ReadAsStringAsync());
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("drechtsteden.auth", StringComparison.Ordinal));
        Assert.That(cookie, Does.Contain("secure").IgnoreCase.And.Contain("httponly").IgnoreCase);
    }

    [Test]
    public async Task The_Hangfire_dashboard_is_read_only_for_coordinators()
    {
        await using var app = App();
        await using (var scope = app.Services.CreateAsyncScope())
            scope.ServiceProvider.GetRequiredService<IRecurringJobManager>().AddOrUpdate("security-test", () => Console.WriteLine("security test"), Cron.Never(), new RecurringJobOptions());
        using var coordinator = await SignInAsync(app, "coordinator");
        using var admin = await SignInAsync(app, "admin");
        var asCoordinator = await coordinator.GetStringAsync(new Uri("/hangfire/recurring", UriKind.Relative));
        var asAdmin = await admin.GetStringAsync(new Uri("/hangfire/recurring", UriKind.Relative));
        Assert.That(asAdmin, Does.Contain("js-jobs-list-command"), "administrators get the buttons that change jobs");
        Assert.That(asCoordinator, Does.Not.Contain("js-jobs-list-command"), "coordinators only look");

        using var delete = await coordinator.PostAsync(new Uri("/hangfire/recurring/remove", UriKind.Relative), Form(("jobs[]", "security-test")));
        Assert.That((int)delete.StatusCode, Is.GreaterThanOrEqualTo(400), "and a command sent by hand is refused");
        Assert.That(await admin.GetStringAsync(new Uri("/hangfire/recurring", UriKind.Relative)), Does.Contain("security-test"), "the job is still there");
    }

    [Test]
    public async Task A_token_minted_for_someone_else_says_so_in_every_audit_entry_it_makes()
    {
        await using var app = App();
        using var admin = await SignInAsync(app, "admin");
        var csrf = await FormTokenAsync(admin);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/api-tokens") { Content = JsonContent.Create(new { userId = "secretary-GM0505", name = "Zaaksysteem Dordrecht" }) };
        request.Headers.Add(SignInEndpoints.AntiforgeryHeader, csrf);
        using var created = await admin.SendAsync(request);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;

        using var integration = app.CreateClient();
        integration.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("ApiToken", secret);
        using var meeting = await integration.PostAsJsonAsync("/api/municipalities/GM0505/meetings", new { startsAt = DateTimeOffset.UtcNow.AddDays(30), note = "via koppeling" });
        Assert.That(meeting.StatusCode, Is.EqualTo(HttpStatusCode.Created), await meeting.Content.ReadAsStringAsync());

        await using var scope = app.Services.CreateAsyncScope();
        var entry = await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking()
            .Where(e => e.Action == "meeting.added").OrderByDescending(e => e.Id).FirstAsync();
        Assert.That(entry.ActorId, Is.EqualTo("secretary-GM0505"));
        Assert.That(entry.ActorName, Does.Contain("API-token \"Zaaksysteem Dordrecht\", aangemaakt door admin"));
    }

    [Test]
    public async Task Secret_and_message_files_are_created_readable_by_the_owner_only()
    {
        var directory = Directory.CreateTempSubdirectory("drechtsteden-secrets-").FullName;
        try
        {
            var file = Path.Combine(directory, "a.secret");
            Assert.That(SecretFiles.TryCreate(file, "geheim"), Is.True);
            Assert.That(SecretFiles.TryCreate(file, "ander"), Is.False, "an existing secret is never replaced");
            Assert.That(File.ReadAllText(file), Is.EqualTo("geheim"));
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

            var mail = Path.Combine(directory, "mail");
            var sender = new Notifications.PickupDirectoryMailSender(new Notifications.MailOptions { PickupDirectory = mail });
            await sender.SendAsync(new Notifications.OutboxMessage
            {
                DedupeKey = "test-eml", Kind = "reminder", RecipientUserId = "secretary-GM0505", RecipientName = "Secretaris", RecipientEmail = "secretaris@example.org",
                Subject = "Herinnering", Body = "Agendeer het punt.", Link = "https://decisions.example.org/", CreatedAt = DateTimeOffset.UtcNow,
            }, CancellationToken.None);
            var eml = Directory.GetFiles(mail, "*.eml").Single();
            Assert.That(File.GetUnixFileMode(eml), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
