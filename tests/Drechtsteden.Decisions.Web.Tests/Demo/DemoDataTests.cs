using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Demo;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Demo;

/// <summary>The living demo region of the embedded default: the 2024 source case, a live process at mixed stages, once.</summary>
public sealed class DemoDataTests
{
    [Test]
    public async Task The_demo_region_has_the_completed_source_case_and_a_live_process_and_seeding_twice_adds_nothing()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        await ReferenceData.SyncAsync(app.Services, demoAccounts: true);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var entries = await db.AuditEntries.CountAsync();
        var processes = await db.ProcessAggregates.AsNoTracking().ToListAsync();
        Assert.That(processes.Select(p => p.Reference), Is.EquivalentTo(new[] { DemoProcesses.SourceReference, DemoProcesses.LiveReference }));

        var source = processes.Single(p => p.Reference == DemoProcesses.SourceReference);
        Assert.Multiple(() =>
        {
            Assert.That(source.Title, Is.EqualTo("Doorontwikkeling bestuurlijke samenwerking Drechtsteden"));
            Assert.That(source.DeadlineDate, Is.EqualTo(new DateOnly(2024, 9, 10)));
            Assert.That(source.State, Is.EqualTo("CouncilsInformed"), "all seven griffiers confirmed");
            Assert.That(source.Items.Select(i => i.CouncilInformedOn), Is.All.Not.Null.And.All.Matches<DateOnly?>(d => d!.Value.Year == 2024 && d.Value.Month == 9));
            Assert.That(source.CurrentConcept.CouncilLetter, Is.EqualTo(CouncilLetter.Normalize(DemoProcesses.SourceCouncilLetter())), "the seed's letter is the body");
            Assert.That(CouncilLetter.Headings.Select(h => source.CurrentConcept.CouncilLetter!.Contains("## " + h, StringComparison.Ordinal)), Is.All.True);
            Assert.That(source.Items, Has.Count.EqualTo(7));
            Assert.That(source.Items.All(source.IsIdentical), "all seven decided identically");
            Assert.That(source.Items.Max(i => i.LatestDecision!.DecidedOn), Is.EqualTo(new DateOnly(2024, 9, 10)), "Dordrecht on the deadline day");
            Assert.That(source.Items.Select(i => i.LatestDecision!.RecordedAt).All(t => t.Year == 2024), "history written at the instants it happened");
        });
        var dordrecht = CouncilLetter.CopyFor(source, "GM0505", "Dordrecht", published: true)!;
        Assert.That(dordrecht.Header, Does.Contain(("Aan", "de gemeenteraad van Dordrecht")));
        Assert.That(dordrecht.CollegeDecidedOn, Is.EqualTo(new DateOnly(2024, 9, 10)), "Dordrecht's own college decided on the deadline day");
        Assert.That(dordrecht.Date, Is.EqualTo(new DateOnly(2024, 9, 11)));
        var told = await db.Outbox.AsNoTracking().Where(m => m.ProcessId == source.Id && m.Kind == "publication").ToListAsync();
        Assert.That(told.Where(m => m.RecipientUserId.StartsWith("secretary-", StringComparison.Ordinal)).Select(m => m.MunicipalityCode),
            Is.EquivalentTo(source.Items.Select(i => i.MunicipalityCode)), "every secretary was told of the publication");
        Assert.That(told.Where(m => m.RecipientUserId.StartsWith("griffier-", StringComparison.Ordinal)).Select(m => m.MunicipalityCode),
            Is.EquivalentTo(source.Items.Select(i => i.MunicipalityCode)), "every griffier was told the letter is ready");
        Assert.That(told.Select(m => (m.Status, m.SentAt!.Value.Year)).Distinct(), Is.EqualTo(new[] { (OutboxStatus.Sent, 2024) }), "then, not at today's first start");
        Assert.That(await db.AuditEntries.CountAsync(e => e.ChainId == source.Id && e.Action == "message.delivered"), Is.EqualTo(told.Count));

        var live = processes.Single(p => p.Reference == DemoProcesses.LiveReference);
        var today = Amsterdam.DateOf(DateTimeOffset.UtcNow);
        Assert.Multiple(() =>
        {
            Assert.That(live.State, Is.EqualTo("Diverged"));
            Assert.That(live.CurrentConcept.CouncilLetter, Does.Contain("## Wat is de te delen informatie?"), "the live process shows its draft letter");
            Assert.That(live.DeadlineDate, Is.EqualTo(today.AddDays(35)));
            var states = live.Items.GroupBy(i => i.State).ToDictionary(g => g.Key, g => g.Count());
            Assert.That(states, Is.EquivalentTo(new Dictionary<string, int> { ["Decided"] = 2, ["Deferred"] = 1, ["Scheduled"] = 3, ["Unscheduled"] = 1 }));
            Assert.That(live.Items.Count(i => i.LatestDecision?.Outcome == DecisionOutcome.AdoptedWithAmendments), Is.EqualTo(1));
            Assert.That(live.Items.Where(i => i.State == "Scheduled").All(i => i.MeetingStartsAt > DateTimeOffset.UtcNow), "undecided items wait for coming meetings");
        });
        var log = scope.ServiceProvider.GetRequiredService<Drechtsteden.Decisions.Web.Audit.Log.TransparencyLog>();
        await log.AppendAsync();
        await log.PushAsync();
        var verification = await scope.ServiceProvider.GetRequiredService<AuditVerifier>().VerifyAsync();
        Assert.That(verification.Valid, Is.True, verification.Summary);

        await ReferenceData.SyncAsync(app.Services, demoAccounts: true);
        await using var again = app.Services.CreateAsyncScope();
        var db2 = again.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        Assert.That(await db2.Processes.CountAsync(), Is.EqualTo(2), "seeding is idempotent");
        Assert.That(await db2.AuditEntries.CountAsync(), Is.EqualTo(entries), "a second start writes nothing");
    }
}
