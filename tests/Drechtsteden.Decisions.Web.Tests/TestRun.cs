using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests;

/// <summary>Set-up for the whole assembly (this is its root namespace): the throw-away PostgreSQL cluster.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeSetUp]
    public Task StartDatabase() => TestPostgres.StartClusterAsync();

    [OneTimeTearDown]
    public Task StopDatabase() => TestPostgres.StopClusterAsync();
}
