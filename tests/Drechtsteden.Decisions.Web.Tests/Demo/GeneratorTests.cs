using Drechtsteden.Decisions.Processes;
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
    private static async Task<(List<(string Reference, string State, long Entries)> Processes, long Pending, long Overdue, AuditVerification Verification, GeneratorResult Result,
        (long Sent, long Proved, long Backwards, HashSet<string> Actions) Trail)>
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
        var generated = db.Processes.Where(p => p.RegionCode.StartsWith("gen-7-")).Select(p => p.Id);
        var sent = await db.Outbox.LongCountAsync(m => m.Status == OutboxStatus.Sent && generated.Contains(m.ProcessId!.Value));
        var proved = await db.AuditEntries.LongCountAsync(e => e.Action == "message.delivered" && generated.Contains(e.ChainId));
        // An entry recorded before the one ahead of it in its chain: the replayed past went back in time.
        var backwards = await db.Database.SqlQuery<long>($"""
            SELECT count(*) AS "Value" FROM (SELECT recorded_at < lag(recorded_at) OVER (PARTITION BY chain_id ORDER BY chain_sequence) AS back
            FROM audit_entries WHERE chain_id IN (SELECT id FROM processes WHERE region_code LIKE 'gen-7-%')) x WHERE back
            """).SingleAsync();
        var actions = (await db.AuditEntries.Where(e => generated.Contains(e.ChainId)).Select(e => e.Action).Distinct().ToListAsync()).ToHashSet(StringComparer.Ordinal);
        return (processes.Select(p => (p.Reference, p.State, p.Entries)).OrderBy(p => p.Reference).ToList(), pending, overdue, verification, result,
            (sent, proved, backwards, actions));
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
            Assert.That(first.Trail.Proved, Is.EqualTo(first.Trail.Sent).And.GreaterThan(0), "every message of the past went out with its proof on the chain");
            Assert.That(first.Trail.Backwards, Is.Zero, "time never runs backwards in a chain");
            Assert.That(first.Trail.Actions, Is.SupersetOf(new[]
            {
                "process.started", "item.scheduled", "item.rescheduled", "decision.recorded", "item.deferred", "concept.revised", "reminder.sent",
                "process.escalated", "deadline.extended", "process.published", "publication.sent", "message.delivered",
            }), "the histories hold what real ones hold");
            Assert.That(second.Processes, Is.EqualTo(first.Processes), "the same seed gives the same processes, states and audit chains' lengths");
        });
    }
}
