using System.Net;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Web.Tests.Faults;

namespace Drechtsteden.Decisions.Web.Tests.Deploy;

/// <summary>Behind a load balancer the next request may reach another replica: the sign-in cookie and form tokens must hold there.</summary>
[NonParallelizable]
public sealed partial class ReplicaTests
{
    [Test]
    public async Task A_sign_in_on_one_replica_holds_on_the_other()
    {
        var rig = await FaultRig.CreateAsync();
        await using var a = rig.StartHost(("ASPNETCORE_ENVIRONMENT", "Staging"));
        await using var b = rig.StartHost(("ASPNETCORE_ENVIRONMENT", "Staging"));
        await Task.WhenAll(a.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)), b.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)));

        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var browser = new HttpClient(handler);
        var form = await browser.GetStringAsync(new Uri(a.BaseAddress, "/inloggen"));
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        using (var signIn = await browser.PostAsync(new Uri(a.BaseAddress, "/inloggen"), new FormUrlEncodedContent(new Dictionary<string, string>
               { ["__RequestVerificationToken"] = token, ["gebruikersnaam"] = "coordinator", ["wachtwoord"] = FaultRig.Password, ["returnUrl"] = "/processen" })))
        {
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "signed in on replica A");
        }

        using var page = await browser.GetAsync(new Uri(b.BaseAddress, "/processen"));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), "replica B reads A's cookie (one key ring in the database)");
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("Uitloggen"));

        var pageToken = AntiforgeryField().Match(html).Groups[1].Value;
        using var signOut = await browser.PostAsync(new Uri(a.BaseAddress, "/uitloggen"), new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = pageToken }));
        Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "a form token from B is accepted by A");
        Assert.That(await rig.ScalarAsync("SELECT count(*) FROM data_protection_keys"), Is.EqualTo(1), "one key for both");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
