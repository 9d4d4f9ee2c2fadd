using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests;

/// <summary>Set-up for the whole assembly (this is its root namespace): the throw-away PostgreSQL cluster and the witness every host's audit log reports to.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeSetUp]
    public async Task StartDatabaseAndWitness()
    {
        await Task.WhenAll(TestPostgres.StartClusterAsync(), TestWitness.StartAsync());
    }

    [OneTimeTearDown]
    public async Task StopDatabaseAndWitness()
    {
        await TestWitness.StopAsync();
        await TestPostgres.StopClusterAsync();
    }
}
