using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Jobs;

/// <summary>
/// The sweeper's risk query (<see cref="TimerJobs.RiskCandidatesAsync"/>) is the domain's rule
/// (<see cref="ProcessRisks.HasNoMeetingLeft"/>) in SQL: over random histories on PostgreSQL — deadlines extended,
/// processes cancelled, meetings planned, cancelled and used, items scheduled — it returns, at every instant asked,
/// exactly the items the rule holds for and that were not alerted yet, in the order of their deadlines.
/// </summary>
public sealed class RiskCandidateTests
{
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task The_risk_query_returns_exactly_the_items_the_rule_holds_for(int seed)
    {
        var random = new Random(seed);
        await using var db = await ProcessDatabase.CreateAsync();
        var start = new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero);
        db.Clock.SetUtcNow(start);
        var day = new DateOnly(2024, 8, 2);

        // Meetings: some colleges have none, some several; some cancelled.
        var meetings = new List<Meeting>();
        foreach (var code in ProcessDatabase.Codes)
            for (var n = random.Next(0, 4); n > 0; n--)
                meetings.Add(await db.AddMeetingAsync(code, day.AddDays(random.Next(0, 120))));
        foreach (var meeting in meetings.Where(_ => random.Next(5) == 0).ToList())
        {
            await db.InScopeAsync(sp => sp.GetRequiredService<MeetingCommands>().CancelAsync(meeting.Id, new MeetingChange(null, "vervalt"), ProcessDatabase.Secretary(meeting.MunicipalityCode)));
            meetings.Remove(meeting);
        }

        // Processes: deadlines extended to different dates, one cancelled, some items scheduled.
        var processes = new List<Guid>();
        for (var n = 0; n < 6; n++)
        {
            var id = (await db.StartAsync()).ProcessId;
            processes.Add(id);
            if (random.Next(3) > 0)
                await db.RunAsync(id, new ExtendDeadline(new DateOnly(2024, 9, 11).AddDays(random.Next(0, 90)), null, "meer tijd"), ProcessDatabase.Coordinator);
        }
        await db.RunAsync(processes[random.Next(processes.Count)], new CancelProcess("ingetrokken"), ProcessDatabase.Coordinator);
        foreach (var meeting in meetings)
        {
            var process = processes[random.Next(processes.Count)];
            if (random.Next(2) == 0)
                continue;
            try { await db.ScheduleAsync(process, meeting.MunicipalityCode, meeting.Id); }
            catch (DomainException) { } // after the deadline, a cancelled process, already scheduled: the rule's business, not this test's
        }

        var instants = Enumerable.Range(0, 8).Select(_ => start.AddHours(random.Next(0, 24 * 140))).Order().ToList();
        for (var i = 0; i < instants.Count; i++)
        {
            var now = instants[i];
            db.Clock.SetUtcNow(now);
            var (actual, expected) = await db.InScopeAsync(async sp =>
            {
                var context = sp.GetRequiredService<DecisionsDbContext>();
                var workflow = sp.GetRequiredService<DecisionWorkflow>();
                var aggregates = await context.ProcessAggregates.AsNoTracking().Where(p => processes.Contains(p.Id)).ToListAsync();
                var planned = await context.Meetings.AsNoTracking().Where(m => m.Status == MeetingStatus.Planned).ToListAsync();
                var alerted = (await context.Set<RiskAlert>().AsNoTracking().Select(r => r.ItemId).ToListAsync()).ToHashSet();
                var expected = aggregates
                    .SelectMany(p => p.Items.Select(item => (Process: p, Item: item)))
                    .Where(x => ProcessRisks.HasNoMeetingLeft(workflow.DefinitionOf(x.Process), x.Process, x.Item,
                        planned.Any(m => m.MunicipalityCode == x.Item.MunicipalityCode && m.StartsAt > now && m.StartsAt < x.Process.DeadlineAt), now))
                    .Where(x => !alerted.Contains(x.Item.Id))
                    .OrderBy(x => x.Process.DeadlineAt).ThenBy(x => x.Item.Id)
                    .Select(x => new TimerJobs.RiskCandidate(x.Process.Id, x.Item.Id)).ToList();
                var jobs = sp.GetRequiredService<TimerJobs>();
                var definition = workflow.DefinitionOf(aggregates[0]);
                return (await jobs.RiskCandidatesAsync(definition, now), expected);
            });
            Assert.That(actual, Is.EqualTo(expected), $"seed {seed}, {now:O}: the query and the rule disagree");
            Assert.That(actual.Select(c => c.ProcessId), Has.All.Not.EqualTo(Guid.Empty));
            // Half-way the alerts go out: afterwards the query leaves the alerted items out, as the rule's reading here does.
            if (i == instants.Count / 2)
                await db.InScopeAsync(async sp => { await sp.GetRequiredService<TimerJobs>().AlertRisksAsync(now); return 0; });
        }
    }

    [Test]
    public async Task One_process_is_asked_on_its_own()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        db.Clock.SetUtcNow(new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero));
        var first = (await db.StartAsync()).ProcessId;
        var second = (await db.StartAsync()).ProcessId;
        var candidates = await db.InScopeAsync(async sp =>
        {
            var workflow = sp.GetRequiredService<DecisionWorkflow>();
            var definition = workflow.DefinitionOf(await sp.GetRequiredService<DecisionsDbContext>().Processes.AsNoTracking().FirstAsync(p => p.Id == first));
            var jobs = sp.GetRequiredService<TimerJobs>();
            return (All: await jobs.RiskCandidatesAsync(definition, db.Clock.GetUtcNow()), One: await jobs.RiskCandidatesAsync(definition, db.Clock.GetUtcNow(), second));
        });
        Assert.That(candidates.All, Has.Count.EqualTo(14), "no college has a meeting: every item of both processes");
        Assert.That(candidates.One.Select(c => c.ProcessId).ToList(), Has.Count.EqualTo(7).And.All.EqualTo(second));
    }

    [Test]
    public async Task A_meeting_at_the_deadline_itself_is_not_before_it()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        db.Clock.SetUtcNow(new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero));
        var id = (await db.StartAsync()).ProcessId;
        var deadline = (await db.LoadAsync(id)).DeadlineAt;
        await db.InScopeAsync(sp => sp.GetRequiredService<MeetingCommands>().AddAsync("GM0505", new MeetingChange(deadline), ProcessDatabase.Secretary("GM0505")));
        await db.InScopeAsync(sp => sp.GetRequiredService<MeetingCommands>().AddAsync("GM0590", new MeetingChange(deadline.AddSeconds(-1)), ProcessDatabase.Secretary("GM0590")));
        var municipalities = await db.InScopeAsync(async sp =>
        {
            var context = sp.GetRequiredService<DecisionsDbContext>();
            var definition = sp.GetRequiredService<DecisionWorkflow>().DefinitionOf(await context.Processes.AsNoTracking().FirstAsync(p => p.Id == id));
            var items = await context.AgendaItems.AsNoTracking().Where(i => i.ProcessId == id).ToDictionaryAsync(i => i.Id, i => i.MunicipalityCode);
            return (await sp.GetRequiredService<TimerJobs>().RiskCandidatesAsync(definition, db.Clock.GetUtcNow())).Select(c => items[c.ItemId]).ToList();
        });
        Assert.That(municipalities, Has.Member("GM0505"), "a meeting that starts at the deadline is not before it");
        Assert.That(municipalities, Has.No.Member("GM0590"), "a meeting a second before the deadline is");
        Assert.That(municipalities, Has.Count.EqualTo(6));
    }
}
