using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Demo;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Demo;

/// <summary>The generator writes whole histories through the commands, deterministically, and leaves today consistent.</summary>
public sealed class GeneratorTests
{
    private static async Task<(List<(string Reference, string State, long Entries)> Processes, long Pending, long Overdue, AuditVerification Verification, GeneratorResult Result)>
        GenerateAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        await ReferenceData.SyncAsync(app.Services, demoAccounts: false);
        var result = await ActivatorUtilities.CreateInstance<Generator>(app.Services)
            .RunAsync(new GeneratorOptions(Municipalities: 12, Regions: 2, Processes: 16, Seed: 7, Workers: 2), TextWriter.Null);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var processes = await db.Processes.AsNoTracking().Where(p => p.RegionCode.StartsWith("gen-7-"))
            .Select(p => new { p.Reference, p.State, Entries = db.AuditEntries.LongCount(e => e.ChainId == p.Id) }).ToListAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(-1);
        var pending = await db.Outbox.LongCountAsync(m => m.Status == OutboxStatus.Pending && m.CreatedAt < now);
        var overdue = await db.Timers.LongCountAsync(t => t.Status == TimerStatus.Scheduled && t.DueAt < now);
        var verification = await scope.ServiceProvider.GetRequiredService<AuditVerifier>().VerifyAsync();
        return (processes.Select(p => (p.Reference, p.State, p.Entries)).OrderBy(p => p.Reference).ToList(), pending, overdue, verification, result);
    }

    [Test]
    public async Task Histories_are_written_through_the_commands_deterministically_and_nothing_of_the_past_is_left_to_do()
    {
        var first = await GenerateAsync();
        var second = await GenerateAsync();

        Assert.Multiple(() =>
        {
            Assert.That(first.Processes, Has.Count.EqualTo(16));
            Assert.That(first.Verification.Valid, Is.True, first.Verification.FirstBroken?.Reason);
            Assert.That(first.Result.AuditEntries, Is.GreaterThan(16 * 20), "every process has a history, not just a start");
            Assert.That(first.Processes.Select(p => p.State).Distinct().Count(), Is.GreaterThan(1), "histories end in different states");
            Assert.That(first.Overdue, Is.Zero, "every timer that fell due in the generated past has fired then (none waits for the sweeper today)");
            Assert.That(first.Pending, Is.Zero, "the messages of the generated past count as delivered then; nobody is mailed today");
            Assert.That(second.Processes, Is.EqualTo(first.Processes), "the same seed gives the same processes, states and audit chains' lengths");
        });
    }
}
