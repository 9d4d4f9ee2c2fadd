using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>The host in-process on a test database of its own; by default tests sign in with a header (<see cref="TestAuthentication"/>), otherwise through the real schemes.</summary>
public sealed class DecisionsAppFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null,
    bool testSignIn = true, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public string ConnectionString { get; } = connectionString;

    public string MailDirectory { get; } = Path.Combine(Path.GetTempPath(), $"drechtsteden-mail-{Guid.NewGuid():N}");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Decisions", ConnectionString);
        builder.UseSetting("Database:MigrateOnStart", "false");
        foreach (var (key, value) in TestWitness.Settings)
            builder.UseSetting(key, value);
        builder.UseSetting("Mail:PickupDirectory", MailDirectory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        if (services is not null)
            builder.ConfigureTestServices(services);
        if (testSignIn)
        {
            builder.ConfigureTestServices(services => services
                .AddAuthentication(TestAuthentication.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthentication>(TestAuthentication.SchemeName, _ => { }));
        }
    }
}

/// <summary>Tests sign in by header: "X-Test-User: id;Role;GM0505". No header, no identity.</summary>
public sealed class TestAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string Header = "X-Test-User";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers[Header].FirstOrDefault() is not { Length: > 0 } value)
            return Task.FromResult(AuthenticateResult.NoResult());
        var parts = value.Split(';');
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, parts[0]), new(ClaimTypes.Name, parts[0]), new(ClaimTypes.Role, parts[1]) };
        if (parts.Length > 2)
            claims.Add(new Claim("municipality", parts[2]));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
