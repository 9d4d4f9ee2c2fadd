using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>
/// A command's first round trip (<see cref="CommandRead"/>): the lock, the chain head, the timers and the
/// aggregate in one batch. What it reads by hand must be what EF Core reads, and what follows the lock must see what
/// the lock's previous holder committed.
/// </summary>
public sealed class CommandReadTests
{
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    [Test]
    public async Task The_timers_read_with_the_process_are_the_rows_EF_Core_reads()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var process = (await db.StartAsync()).ProcessId;
        var meeting = await db.AddMeetingAsync("GM0505", Sept3);
        await db.ScheduleAsync(process, "GM0505", meeting.Id);
        // One timer fired, so the read holds scheduled and fired rows; a cancelled one is left out.
        var first = await db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking()
            .Where(t => t.ProcessId == process && t.Status == TimerStatus.Scheduled).OrderBy(t => t.DueAt).FirstAsync());
        db.Clock.SetUtcNow(first.DueAt.AddSeconds(1));
        Assert.That(await db.InScopeAsync(sp => sp.GetRequiredService<CommandPipeline>().FireTimerAsync(first.Id, first.DueAt, "test")), Is.True);

        var (read, expected) = await db.InScopeAsync(async sp =>
        {
            var pipeline = sp.GetRequiredService<CommandPipeline>();
            var context = sp.GetRequiredService<DecisionsDbContext>();
            return await pipeline.InTransactionAsync(async () =>
            {
                await pipeline.LockAsync(process, CancellationToken.None);
                var tracked = pipeline.TimersRead(process).OrderBy(t => t.Id).ToList();
                var stored = await context.Timers.AsNoTracking().Where(t => t.ProcessId == process && t.Status != TimerStatus.Cancelled).OrderBy(t => t.Id).ToListAsync();
                return (tracked, stored);
            }, CancellationToken.None);
        });

        Assert.That(expected.Select(t => t.Status), Does.Contain(TimerStatus.Fired).And.Contain(TimerStatus.Scheduled));
        Assert.That(read, Has.Count.EqualTo(expected.Count));
        var properties = typeof(ProcessTimer).GetProperties().Where(p => p.Name != nameof(ProcessTimer.Stored)).ToList();
        Assert.That(properties, Has.Count.EqualTo(14), "a new timer column must be read by CommandRead too");
        foreach (var (actual, wanted) in read.Zip(expected))
            foreach (var property in properties)
                Assert.That(property.GetValue(actual), Is.EqualTo(property.GetValue(wanted)), $"timer {wanted.Id}: {property.Name}");
    }

    [Test]
    public async Task The_meeting_read_with_the_process_is_the_row_EF_Core_reads()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var process = (await db.StartAsync()).ProcessId;
        var planned = await db.AddMeetingAsync("GM0505", Sept3);
        var cancelled = await db.AddMeetingAsync("GM0590", Sept3);
        await db.InScopeAsync(sp => sp.GetRequiredService<Drechtsteden.Decisions.Web.Agenda.MeetingCommands>().CancelAsync(cancelled.Id,
            new Drechtsteden.Decisions.Agenda.MeetingChange(cancelled.StartsAt, "Vervalt wegens zomerreces – vóór de deadline"), ProcessDatabase.Secretary("GM0590")));

        foreach (var id in new[] { planned.Id, cancelled.Id })
        {
            var (read, expected) = await db.InScopeAsync(async sp =>
            {
                var pipeline = sp.GetRequiredService<CommandPipeline>();
                var context = sp.GetRequiredService<DecisionsDbContext>();
                return await pipeline.InTransactionAsync(async () =>
                {
                    var (_, meeting) = await pipeline.LockAsync(process, id, CancellationToken.None);
                    return (meeting, await context.Meetings.AsNoTracking().SingleAsync(m => m.Id == id));
                }, CancellationToken.None);
            });
            Assert.That(read, Is.Not.Null);
            var properties = typeof(Drechtsteden.Decisions.Agenda.Meeting).GetProperties().Where(p => p.CanWrite || p.SetMethod is not null).ToList();
            Assert.That(properties.Select(p => p.Name), Is.EquivalentTo(new[] { "Id", "MunicipalityCode", "StartsAt", "Status", "Note" }),
                "a new meeting column must be read by CommandRead too");
            foreach (var property in properties)
                Assert.That(property.GetValue(read), Is.EqualTo(property.GetValue(expected)), $"meeting {id}: {property.Name}");
        }
        Assert.That(cancelled.Id, Is.Not.EqualTo(planned.Id));

        // No such meeting: the process is locked and read all the same, the meeting is null (the workflow refuses the command).
        var missing = await db.InScopeAsync(async sp =>
        {
            var pipeline = sp.GetRequiredService<CommandPipeline>();
            return await pipeline.InTransactionAsync(async () => await pipeline.LockAsync(process, Guid.NewGuid(), CancellationToken.None), CancellationToken.None);
        });
        Assert.That(missing.Meeting, Is.Null);
        Assert.That(missing.Process.Id, Is.EqualTo(process));
    }

    [Test]
    public async Task Commands_that_wait_for_the_lock_read_what_the_one_before_committed()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var process = (await db.StartAsync()).ProcessId;
        var meetings = new Dictionary<string, Guid>();
        foreach (var code in ProcessDatabase.Codes)
            meetings[code] = (await db.AddMeetingAsync(code, Sept3)).Id;

        // Seven colleges at once, twice: each command waits for the lock of the one before and must build on its audit
        // head and its state (a head read from before the wait would repeat a chain sequence and fail, or fork the chain).
        await Task.WhenAll(ProcessDatabase.Codes.Select(code => db.ScheduleAsync(process, code, meetings[code])));
        db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await Task.WhenAll(ProcessDatabase.Codes.Select(code => db.DecideAsync(process, code, new RecordDecision(DecisionOutcome.Adopted, 1))));

        var loaded = await db.LoadAsync(process);
        Assert.That(loaded.Items.Select(i => i.State), Is.All.EqualTo("Decided"));
        var chain = await db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking()
            .Where(e => e.ChainId == process).OrderBy(e => e.ChainSequence).ToListAsync());
        Assert.That(chain.Select(e => e.ChainSequence), Is.EqualTo(Enumerable.Range(1, chain.Count).Select(i => (long)i)));
        var previous = AuditHash.Genesis;
        foreach (var entry in chain)
        {
            Assert.That(entry.PreviousHash, Is.EqualTo(previous), $"entry {entry.ChainSequence} links to the one before it");
            Assert.That(AuditHash.Compute(entry), Is.EqualTo(entry.Hash));
            previous = entry.Hash;
        }
        Assert.That(chain.Count(e => e.Resource == "decision"), Is.EqualTo(7));
    }
}
