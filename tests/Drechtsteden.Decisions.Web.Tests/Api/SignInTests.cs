using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>Cookie sign-in for the pages, with antiforgery on the form and on the API calls it makes.</summary>
public sealed partial class SignInTests
{
    [Test]
    public async Task A_signed_in_page_calls_the_API_with_its_cookie_and_antiforgery_token()
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" }, testSignIn: false);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
            var user = await db.Users.FindAsync("coordinator");
            user!.SetPasswordHash(scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserAccount>>().HashPassword(user, "geheim"));
            await db.SaveChangesAsync();
        }
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var form = await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative));
        Assert.That(form, Does.Contain("<html lang=\"nl\"").And.Match("<label [^>]*for=\"wachtwoord\">Wachtwoord</label>"));
        var token = AntiforgeryField().Match(form).Groups[1].Value;

        using var forged = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative), Form(("gebruikersnaam", "coordinator"), ("wachtwoord", "geheim")));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "no antiforgery token, no sign-in");

        using var wrong = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative), Form(("__RequestVerificationToken", token), ("gebruikersnaam", "coordinator"), ("wachtwoord", "fout")));
        Assert.That(wrong.Headers.Location!.ToString(), Does.StartWith("/inloggen?fout=1"));

        using var signedIn = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative),
            Form(("__RequestVerificationToken", token), ("gebruikersnaam", "coordinator"), ("wachtwoord", "geheim"), ("returnUrl", "//evil.example/")));
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(signedIn.Headers.Location!.ToString(), Is.EqualTo("/"), "no open redirect");

        using var list = await browser.GetAsync(new Uri("/api/processes", UriKind.Relative));
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the cookie signs the API calls of the pages");

        var body = new { title = "T", reference = "R", conceptText = "Tekst", deadlineDate = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(20), participants = new[] { "GM0505" } };
        using var withoutToken = await browser.PostAsJsonAsync("/api/processes", body);
        Assert.That(withoutToken.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a cookie alone cannot change anything (CSRF)");

        // A page rendered for the signed-in user carries a token bound to that user.
        var pageToken = AntiforgeryField().Match(await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative))).Groups[1].Value;
        using var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/processes") { Content = JsonContent.Create(body) };
        withToken.Headers.Add("X-CSRF-TOKEN", pageToken);
        using var created = await browser.SendAsync(withToken);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
