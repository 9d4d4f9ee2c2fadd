using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>The process list's queries, written in SQL for speed, against the rules they implement.</summary>
public sealed class ListQueryTests
{
    [Test]
    public async Task Each_colleges_next_meeting_is_its_earliest_planned_one_after_now()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        // Meetings are added in the future (the clock stands at 1 August 2024); then the clock moves past some of them.
        await db.AddMeetingAsync("GM0505", new DateOnly(2024, 8, 6)); // past by then: not next
        await db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 10));
        await db.AddMeetingAsync("GM0505", new DateOnly(2024, 8, 20));
        await db.AddMeetingAsync("GM0590", new DateOnly(2024, 8, 13));
        await db.AddMeetingAsync("GM0482", new DateOnly(2024, 8, 6)); // only past meetings: no next one
        db.Clock.SetUtcNow(new DateTimeOffset(2024, 8, 10, 8, 0, 0, TimeSpan.Zero));
        string[] codes = ["GM0505", "GM0590", "GM0482", "GM0523"];
        var now = db.Clock.GetUtcNow();

        var (next, expected) = await db.InScopeAsync(async sp =>
        {
            var context = sp.GetRequiredService<DecisionsDbContext>();
            var all = await context.Meetings.AsNoTracking().ToListAsync();
            var rule = all.Where(m => codes.Contains(m.MunicipalityCode) && m.Status == MeetingStatus.Planned && m.StartsAt > now)
                .GroupBy(m => m.MunicipalityCode).ToDictionary(g => g.Key, g => g.Min(m => m.StartsAt));
            return (await sp.GetRequiredService<ProcessQueries>().NextMeetingsAsync(codes, now), rule);
        });

        Assert.That(expected.Keys, Is.EquivalentTo(new[] { "GM0505", "GM0590" }), "the test's own data");
        Assert.That(next.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (code, first) in expected)
            Assert.That(next[code], Is.EqualTo(new[] { first }), code);
        Assert.That(next["GM0505"][0].UtcDateTime.Date, Is.EqualTo(new DateTime(2024, 8, 20)));
    }

    /// <summary>
    /// The list reads each process's items only when the process changed since it was last listed (ProcessFactsCache,
    /// by the row version it reads on every call): a command shows on the next read, and an unchanged page costs two
    /// statements (the page with its versions, the colleges' next meetings) instead of three. Every count the list shows
    /// is the one the process resource shows, before and after.
    /// </summary>
    [Test]
    public async Task The_list_reads_a_processs_items_again_after_each_command_and_only_then()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var process = (await db.StartAsync()).ProcessId;
        var sept3 = new DateOnly(2024, 9, 3);
        foreach (var code in new[] { "GM0505", "GM0590" })
            await db.ScheduleAsync(process, code, (await db.AddMeetingAsync(code, sept3)).Id);
        db.Clock.SetUtcNow(Drechtsteden.Decisions.Time.Amsterdam.At(sept3, new TimeOnly(12, 0)));

        Task<(ProcessSummary Summary, ProcessDto Resource)> ReadAsync() => db.InScopeAsync(async sp =>
        {
            var queries = sp.GetRequiredService<ProcessQueries>();
            var summary = (await queries.ListAsync(ProcessDatabase.Coordinator, "drechtsteden")).Single(p => p.Id == process);
            return (summary, (await queries.GetAsync(process, ProcessDatabase.Coordinator, "drechtsteden"))!);
        });
        async Task<(ProcessSummary Summary, int Statements)> ListAsync()
        {
            ProcessSummary? summary = null;
            var (statements, _) = await StatementCounter.CountAsync(async () => summary = await db.InScopeAsync(async sp =>
                (await sp.GetRequiredService<ProcessQueries>().ListAsync(ProcessDatabase.Coordinator, "drechtsteden")).Single(p => p.Id == process)));
            return (summary!, statements);
        }
        void SameAsResource(ProcessSummary summary, ProcessDto resource, string when)
        {
            Assert.That(summary.Identical, Is.EqualTo(resource.Items.Count(i => i.Identical == true)), when + ": identical");
            Assert.That(summary.Decided, Is.EqualTo(resource.Items.Count(i => i.Decision is { Outcome: not DecisionOutcome.Deferred })), when + ": decided");
            Assert.That(summary.Light, Is.EqualTo(resource.Status!.Light), when + ": light");
            Assert.That(summary.State, Is.EqualTo(resource.State), when + ": state");
        }

        var (first, resource) = await ReadAsync();
        SameAsResource(first, resource, "before");
        Assert.That(first.Decided, Is.Zero);
        var unchanged = await ListAsync();
        Assert.That(unchanged.Statements, Is.EqualTo(2), "an unchanged process: its items are not read again");
        Assert.That(unchanged.Summary, Is.EqualTo(first).Using<ProcessSummary>((a, b) => System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b)));

        await db.DecideAsync(process, "GM0505", new RecordDecision(DecisionOutcome.Adopted, 1));
        var changed = await ListAsync();
        Assert.That(changed.Statements, Is.EqualTo(3), "a changed process: its items are read again");
        Assert.That(changed.Summary.Decided, Is.EqualTo(1), "the decision shows on the next read");
        Assert.That(changed.Summary.Identical, Is.EqualTo(1));
        var (after, resourceAfter) = await ReadAsync();
        SameAsResource(after, resourceAfter, "after a decision");

        await db.DecideAsync(process, "GM0590", new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: "Het college besluit anders, met een gewijzigde tekst.", Reason: "Amendement aangenomen."));
        var (diverged, resourceDiverged) = await ReadAsync();
        SameAsResource(diverged, resourceDiverged, "after an amendment");
        Assert.That(diverged.Identical, Is.EqualTo(1));
        Assert.That(diverged.Decided, Is.EqualTo(2));
    }
}
