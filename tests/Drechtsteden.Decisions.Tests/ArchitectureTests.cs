using Drechtsteden.Decisions.Processes;

namespace Drechtsteden.Decisions.Tests;

public sealed class ArchitectureTests
{
    [TestCase("Microsoft.AspNetCore")]
    [TestCase("Microsoft.EntityFrameworkCore")]
    [TestCase("Hangfire")]
    [TestCase("Npgsql")]
    public void The_domain_references_no_web_persistence_or_job_framework(string forbidden)
    {
        var references = typeof(DecisionProcess).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "");

        Assert.That(references.Where(name => name.StartsWith(forbidden, StringComparison.Ordinal)), Is.Empty);
    }
}
