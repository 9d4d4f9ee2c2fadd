using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>
/// The OpenAPI document is the contract: every mapped endpoint is in it with its responses, and every operation in
/// it is walked with every role, for the own and another municipality, to check who may do what — through the test
/// sign-in, and through the real ones: the sign-in cookie with its antiforgery token, and an API token. A refusal
/// must not carry the process's data.
/// </summary>
[NonParallelizable]
public sealed partial class ContractTests
{
    private const string Own = "GM0505";
    private const string Other = "GM0590";

    /// <summary>Who may call what. Scoped: a secretary, college or griffier may only for its own municipality.</summary>
    private static readonly Dictionary<string, (Role[] Allowed, bool Scoped)> Matrix = new()
    {
        ["GET /api/processes"] = (AllRoles, false),
        ["POST /api/processes"] = ([Role.Coordinator], false),
        ["GET /api/processes/{id}"] = (AllRoles, true),
        ["POST /api/processes/{id}/concepts"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/deadline"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/publish"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/target-week"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/cancel"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/items/{code}/schedule"] = ([Role.Secretary], true),
        ["POST /api/processes/{id}/items/{code}/decision"] = ([Role.College], true),
        ["POST /api/processes/{id}/items/{code}/council"] = ([Role.Griffier], true),
        // Under the embargo (the matrix's process runs) the letter is the coordinator's draft: no municipality reads it.
        ["GET /api/processes/{id}/council-letters/{code}"] = ([Role.Coordinator, Role.Auditor, Role.Admin], true),
        ["GET /api/processes/{id}/audit"] = ([Role.Coordinator, Role.Auditor, Role.Admin], false),
        ["GET /api/processes/{id}/calendar.ics"] = (AllRoles, true),
        ["GET /api/municipalities"] = (AllRoles, false),
        ["GET /api/municipalities/{code}/meetings"] = (AllRoles, false),
        ["POST /api/municipalities/{code}/meetings"] = ([Role.Secretary, Role.Admin], true),
        ["POST /api/municipalities/{code}/meetings/{meetingId}/move"] = ([Role.Secretary, Role.Admin], true),
        ["POST /api/municipalities/{code}/meetings/{meetingId}/cancel"] = ([Role.Secretary, Role.Admin], true),
        ["GET /api/municipalities/{code}/calendar.ics"] = (AllRoles, false),
        ["GET /api/notifications"] = (AllRoles, false),
        ["GET /api/audit/verify"] = ([Role.Coordinator, Role.Auditor, Role.Admin], false),
        ["GET /api/workflows"] = (AllRoles, false),
        ["GET /api/workflows/{definitionId}/versions/{version}"] = (AllRoles, false),
        ["GET /api/workflows/{definitionId}/versions/{version}/diagram"] = (AllRoles, false),
        ["POST /api/api-tokens"] = ([Role.Admin], false),
        // The ZGW Besluiten API: auditors (and integration tokens scoped to one municipality, BesluitenApiTests).
        ["GET /zgw/besluiten/api/v1/besluiten"] = ([Role.Auditor], false),
        ["GET /zgw/besluiten/api/v1/besluiten/{uuid}"] = ([Role.Auditor], false),
        ["GET /zgw/besluiten/api/v1/besluiten/{uuid}/audittrail"] = ([Role.Auditor], false),
        ["DELETE /api/api-tokens/{id}"] = ([Role.Admin], false),
        ["GET /api/webhooks"] = ([Role.Admin], false),
        ["POST /api/webhooks"] = ([Role.Admin], false),
        ["DELETE /api/webhooks/{id}"] = ([Role.Admin], false),
    };

    private static Role[] AllRoles => [Role.Coordinator, Role.Secretary, Role.College, Role.Griffier, Role.Auditor, Role.Admin];

    private const string Password = "een lang geheim";
    private const string ConceptText = "Het college besluit tot de matrix.";
    private DecisionsAppFactory _app = null!;
    private DecisionsAppFactory _real = null!;
    private readonly Dictionary<string, (HttpClient Cookie, string Csrf, string Token)> _signedIn = [];
    private Guid _process;

    [OneTimeSetUp]
    public async Task HostWithAProcessOfDordrecht()
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        _app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        _real = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false", ["Auth:TokenRequestsPerMinute"] = "1000" }, testSignIn: false);
        await using (var scope = _real.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Data.DecisionsDbContext>();
            db.Users.Add(new Drechtsteden.Decisions.Users.UserAccount("auditor", "Accountant", "accountant@example.org", Role.Auditor));
            db.Users.Add(new Drechtsteden.Decisions.Users.UserAccount("admin", "Beheerder", "beheer@example.org", Role.Admin));
            await db.SaveChangesAsync();
            var hasher = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.IPasswordHasher<Drechtsteden.Decisions.Users.UserAccount>>();
            foreach (var user in db.Users.ToList())
            {
                user.SetPasswordHash(hasher.HashPassword(user, Password));
                var secret = Auth.ApiToken.NewSecret();
                db.ApiTokens.Add(new Auth.ApiToken { Id = Guid.CreateVersion7(), UserId = user.Id, Name = "matrix", TokenHash = Auth.ApiToken.HashOf(secret), CreatedAt = DateTimeOffset.UtcNow, CreatedBy = user.Id });
                _tokens[user.Id] = secret;
            }
            await db.SaveChangesAsync();
        }
        using var coordinator = As(Role.Coordinator, null);
        using var started = await coordinator.PostAsJsonAsync("/api/processes", new
        {
            title = "Matrix", reference = "M-1", conceptText = ConceptText, deadlineDate = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(30), participants = new[] { Own },
        });
        _process = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("processId").GetGuid();
    }

    private readonly Dictionary<string, string> _tokens = [];

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var (cookie, _, _) in _signedIn.Values)
            cookie.Dispose();
        await _real.DisposeAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The account a role stands for in the seeded region.</summary>
    private static string UserOf(Role role, string? municipality) => role switch
    {
        Role.Secretary => $"secretary-{municipality}",
        Role.College => $"college-{municipality}",
        Role.Griffier => $"griffier-{municipality}",
        _ => role.ToString().ToLowerInvariant(),
    };

    /// <summary>Signs in through the form once per account; keeps the cookie, the antiforgery token of its pages and its API token.</summary>
    private async Task<(HttpClient Cookie, string Csrf, string Token)> RealAsync(Role role, string? municipality)
    {
        var user = UserOf(role, municipality);
        if (_signedIn.TryGetValue(user, out var known))
            return known;
        var browser = _real.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var field = new Regex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"");
        var formToken = field.Match(await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative))).Groups[1].Value;
        using var signIn = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = formToken, ["gebruikersnaam"] = user, ["wachtwoord"] = Password,
        }));
        Assert.That(signIn.Headers.Location?.ToString(), Is.EqualTo("/"), $"sign-in of {user}");
        var csrf = field.Match(await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative))).Groups[1].Value;
        return _signedIn[user] = (browser, csrf, _tokens[user]);
    }

    /// <summary>Sends a request as a role through one of the three ways in: test header, sign-in cookie (+ antiforgery), API token.</summary>
    private async Task<HttpResponseMessage> SendAsync(string channel, Role role, string? municipality, HttpRequestMessage request)
    {
        if (channel == "header")
        {
            using var client = As(role, municipality);
            return await client.SendAsync(request);
        }
        var (cookie, csrf, token) = await RealAsync(role, municipality);
        if (channel == "cookie")
        {
            if (request.Method != HttpMethod.Get)
                request.Headers.Add(Auth.SignInEndpoints.AntiforgeryHeader, csrf);
            return await cookie.SendAsync(request);
        }
        using var integration = _real.CreateClient();
        integration.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("ApiToken", token);
        return await integration.SendAsync(request);
    }

    private HttpClient As(Role role, string? municipality)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, $"{role.ToString().ToLowerInvariant()}-{municipality};{role}" + (municipality is null ? "" : $";{municipality}"));
        return client;
    }

    private async Task<List<(string Method, string Path, JsonElement Operation)>> OperationsAsync()
    {
        using var client = _app.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement;
        return document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (op.Name.ToUpperInvariant(), path.Name, op.Value)))
            .ToList();
    }

    [Test]
    public async Task Every_mapped_API_endpoint_is_in_the_OpenAPI_document_with_its_responses()
    {
        var documented = (await OperationsAsync()).ToDictionary(o => $"{o.Method} {o.Path}", o => o.Operation);
        var mapped = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Constraint().Replace(e.RoutePattern.RawText!, "}").TrimEnd('/')}"))
            .ToList();

        Assert.That(mapped, Has.Count.GreaterThanOrEqualTo(20));
        foreach (var endpoint in mapped)
        {
            Assert.That(documented.ContainsKey(endpoint), Is.True, $"{endpoint} is not in /openapi/v1.json");
            var responses = documented[endpoint].GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
            Assert.That(responses.Any(r => r.StartsWith('2')), Is.True, $"{endpoint} documents no success response");
            if (endpoint != "POST /api/auth/token")
                Assert.That(responses, Is.SupersetOf(new[] { "401", "403" }), endpoint);
        }
    }

    [Test]
    public async Task Every_operation_needs_credentials_except_the_token_endpoint()
    {
        using var anonymous = _app.CreateClient();
        foreach (var (method, path, _) in await OperationsAsync())
        {
            if (path == "/api/auth/token")
                continue;
            using var response = await anonymous.SendAsync(Request(method, Fill(path, Own)));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"{method} {path}");
        }
    }

    [TestCase("header")]
    [TestCase("cookie")]
    [TestCase("token")]
    public async Task Every_operation_with_every_role_for_the_own_and_another_municipality(string channel)
    {
        var operations = (await OperationsAsync()).Where(o => o.Path != "/api/auth/token").ToList();
        Assert.That(operations.Select(o => $"{o.Method} {o.Path}"), Is.EquivalentTo(Matrix.Keys), "the matrix covers exactly the documented operations");
        var failures = new List<string>();
        foreach (var (method, path, _) in operations)
        {
            var (allowed, scoped) = Matrix[$"{method} {path}"];
            foreach (var role in AllRoles)
            {
                foreach (var own in new[] { true, false })
                {
                    var municipality = role.IsMunicipal() ? (own ? Own : Other) : null;
                    using var response = await SendAsync(channel, role, municipality, Request(method, Fill(path, Own)));
                    var status = (int)response.StatusCode;
                    var body = await response.Content.ReadAsStringAsync();
                    if (status is 403 or 404 && (body.Contains(ConceptText, StringComparison.Ordinal) || body.Contains("\"Matrix\"", StringComparison.Ordinal)))
                        failures.Add($"{method} {path} as {role} ({(own ? "own" : "other")} municipality): the refusal carries the process's data");
                    // A municipality that does not take part may also be told the process is not there for it.
                    var expectation = scoped && municipality == Other ? "403 or 404"
                        : !allowed.Contains(role) ? "403"
                        : "not 401/403";
                    var ok = expectation switch
                    {
                        "403" => status == 403,
                        "403 or 404" => status is 403 or 404,
                        _ => status is not (401 or 403),
                    } && status < 500;
                    if (!ok)
                        failures.Add($"{method} {path} as {role} ({(own ? "own" : "other")} municipality): {status}, expected {expectation}");
                }
            }
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures));
    }

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
            request.Content = JsonContent.Create(new { });
        return request;
    }

    private string Fill(string path, string code) => path
        .Replace("{id}", path.StartsWith("/api/api-tokens", StringComparison.Ordinal) || path.StartsWith("/api/webhooks", StringComparison.Ordinal) ? Guid.NewGuid().ToString() : _process.ToString(), StringComparison.Ordinal)
        .Replace("{code}", code, StringComparison.Ordinal)
        .Replace("{definitionId}", "synchronized-college-decision", StringComparison.Ordinal)
        .Replace("{version}", "1", StringComparison.Ordinal)
        .Replace("{meetingId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{uuid}", Guid.NewGuid().ToString(), StringComparison.Ordinal);

    [GeneratedRegex(@":[a-z]+\}")]
    private static partial Regex Constraint();
}
