using System.Security.Cryptography;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>What the Production environment insists on, and what it never does.</summary>
[NonParallelizable]
public sealed class ProductionTests
{
    [Test]
    public async Task Production_never_creates_demo_accounts_even_when_asked()
    {
        var database = await TestPostgres.CreateEmptyDatabaseAsync();
        await using var host = HostProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Decisions"] = database.App,
            ["ConnectionStrings__DecisionsOwner"] = database.Owner,
            ["Auth__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
            ["DemoData__Enabled"] = "true",
        }, "migrate");

        Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(90)), Is.Zero, host.StandardError);
        await using var connection = new NpgsqlConnection(database.Superuser);
        await connection.OpenAsync();
        await using var users = new NpgsqlCommand("SELECT count(*) FROM users", connection);
        await using var municipalities = new NpgsqlCommand("SELECT count(*) FROM municipalities", connection);
        Assert.That((long)(await users.ExecuteScalarAsync())!, Is.Zero, "no demo accounts in Production");
        Assert.That((long)(await municipalities.ExecuteScalarAsync())!, Is.EqualTo(7), "the configured region is brought in everywhere");
    }

    [Test]
    public async Task Production_refuses_to_start_without_a_token_signing_key()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var host = HostProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Decisions"] = database.App,
        });

        Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(90)), Is.EqualTo(1));
        Assert.That(host.StandardError.Trim(), Does.StartWith("Auth__SigningKey is not set"));
    }

    [Test]
    public async Task OpenID_Connect_is_there_when_an_identity_provider_is_configured()
    {
        await using var app = new DecisionsAppFactory(await TestPostgres.CreateMigratedDatabaseAsync(), settings: new Dictionary<string, string?>
        {
            ["Jobs:Server"] = "false",
            ["Auth:Oidc:Authority"] = "https://login.example.org/realms/drechtsteden",
            ["Auth:Oidc:ClientId"] = "decisions",
            ["Auth:Oidc:ClientSecret"] = "secret",
        }, testSignIn: false);

        var schemes = await app.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetAllSchemesAsync();

        Assert.That(schemes.Select(s => s.Name), Is.SupersetOf(new[] { "oidc", "Bearer", AuthExtensions.ApiTokenScheme, "Cookies" }));
    }
}
