using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>The host in-process on a test database of its own.</summary>
public sealed class DecisionsAppFactory(string connectionString) : WebApplicationFactory<Program>
{
    public string ConnectionString { get; } = connectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Decisions", ConnectionString);
        builder.UseSetting("Database:MigrateOnStart", "false");
    }
}
