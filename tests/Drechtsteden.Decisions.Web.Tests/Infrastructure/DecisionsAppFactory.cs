using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>The host in-process on a test database of its own.</summary>
public sealed class DecisionsAppFactory(string connectionString, string? checkpointDirectory = null) : WebApplicationFactory<Program>
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>Checkpoints belong to one database; every factory gets its own folder unless a test shares one on purpose.</summary>
    public string CheckpointDirectory { get; } = checkpointDirectory ?? Path.Combine(Path.GetTempPath(), $"drechtsteden-checkpoints-{Guid.NewGuid():N}");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Decisions", ConnectionString);
        builder.UseSetting("Database:MigrateOnStart", "false");
        builder.UseSetting("Audit:CheckpointDirectory", CheckpointDirectory);
    }
}
