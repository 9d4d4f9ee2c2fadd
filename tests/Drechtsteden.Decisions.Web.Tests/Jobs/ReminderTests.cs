using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Jobs;

/// <summary>Who gets which reminder when, on PostgreSQL with a fake clock (the sweeper fires what is due).</summary>
public sealed class ReminderTests
{
    private ProcessDatabase _db = null!;

    [SetUp]
    public async Task NewDatabase() => _db = await ProcessDatabase.CreateAsync();

    [TearDown]
    public async Task Dispose() => await _db.DisposeAsync();

    private Task SweepAtAsync(DateTimeOffset instant)
    {
        _db.Clock.SetUtcNow(instant);
        return _db.InScopeAsync(async sp => { await sp.GetRequiredService<TimerJobs>().SweepAsync(); return 0; });
    }

    private Task<List<string>> RecipientsAsync(string kind) => _db.InScopeAsync(sp =>
        sp.GetRequiredService<DecisionsDbContext>().Outbox.AsNoTracking().Where(m => m.Kind == kind).OrderBy(m => m.RecipientUserId).Select(m => m.RecipientUserId).ToListAsync());

    [Test]
    public async Task Schedule_reminders_go_at_09_00_only_to_secretaries_whose_college_has_not_scheduled_yet()
    {
        var process = (await _db.StartAsync()).ProcessId;
        var meeting = await _db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 3));
        await _db.ScheduleAsync(process, "GM0505", meeting.Id);

        await SweepAtAsync(new DateTimeOffset(2024, 8, 20, 6, 59, 59, TimeSpan.Zero));
        Assert.That(await RecipientsAsync("reminder"), Is.Empty, "08:59:59 in Amsterdam is too early");

        await SweepAtAsync(new DateTimeOffset(2024, 8, 20, 7, 0, 0, TimeSpan.Zero));
        var recipients = await RecipientsAsync("reminder");
        Assert.That(recipients, Has.Count.EqualTo(6));
        Assert.That(recipients, Has.No.Member("secretary-GM0505"), "Dordrecht already scheduled");
        Assert.That(recipients, Has.All.StartsWith("secretary-"));

        await SweepAtAsync(new DateTimeOffset(2024, 8, 20, 7, 5, 0, TimeSpan.Zero));
        Assert.That(await RecipientsAsync("reminder"), Has.Count.EqualTo(6), "a timer fires once");
        var audit = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking().CountAsync(e => e.Action == "reminder.sent"));
        Assert.That(audit, Is.EqualTo(6), "each reminder is in the audit trail");
    }

    [Test]
    public async Task The_college_is_reminded_the_working_day_after_its_meeting_if_no_decision_was_recorded()
    {
        var process = (await _db.StartAsync()).ProcessId;
        var friday = await _db.AddMeetingAsync("GM0590", new DateOnly(2024, 8, 30));
        var tuesday = await _db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 3));
        await _db.ScheduleAsync(process, "GM0590", friday.Id);
        await _db.ScheduleAsync(process, "GM0505", tuesday.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2024, 9, 3), new TimeOnly(12, 0)));
        await _db.DecideAsync(process, "GM0505", new DecisionInput(DecisionOutcome.Adopted, 1));

        await SweepAtAsync(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(9, 0)));

        Assert.That((await RecipientsAsync("reminder")).Where(r => r.StartsWith("college-", StringComparison.Ordinal)), Is.EqualTo(new[] { "college-GM0590" }),
            "Papendrecht met on Friday, reminded on Monday 2 September (already due), Dordrecht decided");
    }

    [Test]
    public async Task A_college_without_a_meeting_before_the_deadline_is_reported_to_the_coordinator_once()
    {
        var process = (await _db.StartAsync()).ProcessId;
        foreach (var code in ProcessDatabase.Codes.Where(c => c != "GM0642"))
            await _db.AddMeetingAsync(code, new DateOnly(2024, 9, 3));

        await SweepAtAsync(new DateTimeOffset(2024, 8, 2, 8, 0, 0, TimeSpan.Zero));
        await SweepAtAsync(new DateTimeOffset(2024, 8, 2, 8, 1, 0, TimeSpan.Zero));

        Assert.That(await RecipientsAsync("risk"), Is.EqualTo(new[] { "coordinator" }), "Zwijndrecht has no meeting; told once");
        var subject = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Outbox.Where(m => m.Kind == "risk").Select(m => m.Subject).SingleAsync());
        Assert.That(subject, Does.StartWith("Risico: Zwijndrecht heeft geen collegevergadering meer vóór"));
        Assert.That(process, Is.Not.EqualTo(Guid.Empty));
    }

    [Test]
    public async Task A_timer_woken_early_fires_nothing_and_keeps_its_wake_up()
    {
        var process = (await _db.StartAsync()).ProcessId;
        var deadline = (await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().SingleAsync(t => t.ProcessId == process && t.TimerId == "deadline")));

        var fired = await _db.InScopeAsync(sp => sp.GetRequiredService<Web.Processes.ProcessCommands>().FireTimerAsync(deadline.Id, deadline.DueAt, "test"));

        Assert.That(fired, Is.False);
        var after = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().SingleAsync(t => t.Id == deadline.Id));
        Assert.That(after.Status, Is.EqualTo(TimerStatus.Scheduled));
        Assert.That(after.HangfireJobId, Is.Not.Null);
    }
}
