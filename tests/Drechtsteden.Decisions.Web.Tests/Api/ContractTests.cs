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
/// it is walked with every role, for the own and another municipality, to check who may do what.
/// </summary>
[NonParallelizable]
public sealed partial class ContractTests
{
    private const string Own = "GM0505";
    private const string Other = "GM0590";

    /// <summary>Who may call what. Scoped: a secretary or college may only for its own municipality.</summary>
    private static readonly Dictionary<string, (Role[] Allowed, bool Scoped)> Matrix = new()
    {
        ["GET /api/processes"] = (AllRoles, false),
        ["POST /api/processes"] = ([Role.Coordinator], false),
        ["GET /api/processes/{id}"] = (AllRoles, true),
        ["POST /api/processes/{id}/concepts"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/deadline"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/publish"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/cancel"] = ([Role.Coordinator], false),
        ["POST /api/processes/{id}/items/{code}/schedule"] = ([Role.Secretary], true),
        ["POST /api/processes/{id}/items/{code}/decision"] = ([Role.College], true),
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
        ["DELETE /api/api-tokens/{id}"] = ([Role.Admin], false),
    };

    private static Role[] AllRoles => [Role.Coordinator, Role.Secretary, Role.College, Role.Auditor, Role.Admin];

    private DecisionsAppFactory _app = null!;
    private Guid _process;

    [OneTimeSetUp]
    public async Task HostWithAProcessOfDordrecht()
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        _app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        using var coordinator = As(Role.Coordinator, null);
        using var started = await coordinator.PostAsJsonAsync("/api/processes", new
        {
            title = "Matrix", reference = "M-1", conceptText = "Tekst", deadlineDate = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(30), participants = new[] { Own },
        });
        _process = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("processId").GetGuid();
    }

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

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

    [Test]
    public async Task Every_operation_with_every_role_for_the_own_and_another_municipality()
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
                    var municipality = role is Role.Secretary or Role.College ? (own ? Own : Other) : null;
                    using var client = As(role, municipality);
                    using var response = await client.SendAsync(Request(method, Fill(path, Own)));
                    var status = (int)response.StatusCode;
                    var expectation = !allowed.Contains(role) ? "403"
                        : scoped && municipality == Other ? "403 or 404"
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
        .Replace("{id}", path.StartsWith("/api/api-tokens", StringComparison.Ordinal) ? Guid.NewGuid().ToString() : _process.ToString(), StringComparison.Ordinal)
        .Replace("{code}", code, StringComparison.Ordinal)
        .Replace("{definitionId}", "synchronized-college-decision", StringComparison.Ordinal)
        .Replace("{version}", "1", StringComparison.Ordinal)
        .Replace("{meetingId}", Guid.NewGuid().ToString(), StringComparison.Ordinal);

    [GeneratedRegex(@":[a-z]+\}")]
    private static partial Regex Constraint();
}
