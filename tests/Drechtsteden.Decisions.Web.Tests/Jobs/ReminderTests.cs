using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Processes;
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
    public async Task A_message_the_mail_server_accepted_or_that_was_given_up_on_is_proved_in_the_process_chain()
    {
        var process = (await _db.StartAsync()).ProcessId;
        await SweepAtAsync(new DateTimeOffset(2024, 8, 20, 7, 0, 0, TimeSpan.Zero)); // seven schedule reminders and risk alerts queued
        var queued = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Outbox.AsNoTracking().CountAsync());
        Assert.That(queued, Is.GreaterThan(7));
        var refused = new HashSet<string>(StringComparer.Ordinal) { "secretary-GM0505", "secretary-GM0590" };
        var sender = new ChoosySender(refused);
        _db.Clock.SetUtcNow(new DateTimeOffset(2024, 8, 20, 7, 0, 3, TimeSpan.Zero));
        var sent = await _db.InScopeAsync(sp => ActivatorUtilities.CreateInstance<OutboxDispatcher>(sp, (IMailSender)sender, new MailOptions { MaxAttempts = 1 })
            .DispatchOnceAsync());
        Assert.That(sent, Is.EqualTo(queued - 2));

        var entries = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking()
            .Where(e => e.ChainId == process).OrderBy(e => e.ChainSequence).ToListAsync());
        var delivered = entries.Where(e => e.Action == "message.delivered").ToList();
        var failed = entries.Where(e => e.Action == "message.failed").ToList();
        Assert.That(delivered, Has.Count.EqualTo(queued - 2));
        Assert.That(failed.Select(e => e.MunicipalityCode), Is.EquivalentTo(new[] { "GM0505", "GM0590" }));
        Assert.That(delivered.Select(e => e.RecordedAt), Has.All.EqualTo(new DateTimeOffset(2024, 8, 20, 7, 0, 3, TimeSpan.Zero)), "when the server took it");
        Assert.That(delivered.Select(e => e.After), Has.Some.Contains("\"recipient\":\"secretary-GM0482\"").And.Some.Contains("\"kind\":\"reminder\"")
            .And.None.Contains("@"), "who got it by user id, not by address");
        Assert.That(failed[0].Reason, Is.EqualTo("mailbox unavailable"));
        Assert.That(entries.IndexOf(delivered[0]), Is.GreaterThan(entries.FindLastIndex(e => e.Action == "reminder.sent")), "proof after the queueing");
        var verification = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyChainAsync(process));
        Assert.That(verification.Status, Is.Not.EqualTo(AuditStatus.Broken), verification.Summary);

        var statuses = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Outbox.AsNoTracking().Select(m => m.Status).ToListAsync());
        Assert.That(statuses.Count(s => s == OutboxStatus.Sent), Is.EqualTo(queued - 2));
        Assert.That(statuses.Count(s => s == OutboxStatus.Failed), Is.EqualTo(2));
        Assert.That(await _db.InScopeAsync(sp => ActivatorUtilities.CreateInstance<OutboxDispatcher>(sp, (IMailSender)sender, new MailOptions { MaxAttempts = 1 })
            .DispatchOnceAsync()), Is.Zero, "nothing sent, nor proved, twice");
        Assert.That(await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.CountAsync(e => e.Action.StartsWith("message."))), Is.EqualTo(queued));
    }

    [Test]
    public async Task At_the_planned_publication_every_college_is_told_at_the_same_instant_and_not_a_moment_before()
    {
        var process = (await _db.StartAsync()).ProcessId;
        foreach (var code in ProcessDatabase.Codes)
        {
            var meeting = await _db.AddMeetingAsync(code, new DateOnly(2024, 9, 3));
            await _db.ScheduleAsync(process, code, meeting.Id);
        }
        _db.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2024, 9, 3), new TimeOnly(13, 0)));
        foreach (var code in ProcessDatabase.Codes)
            await _db.DecideAsync(process, code, new RecordDecision(DecisionOutcome.Adopted, 1));
        var release = Amsterdam.At(new DateOnly(2024, 9, 12), new TimeOnly(9, 0));
        await _db.RunAsync(process, new Publish(release), ProcessDatabase.Coordinator);
        Assert.That((await _db.LoadAsync(process)).State, Is.EqualTo("PublicationPlanned"));

        await SweepAtAsync(release.AddSeconds(-1));
        Assert.That(await RecipientsAsync("publication"), Is.Empty, "embargoed until the planned instant");

        await SweepAtAsync(release);
        Assert.That((await _db.LoadAsync(process)).State, Is.EqualTo("Published"));
        Assert.That(await RecipientsAsync("publication"), Is.EqualTo(ProcessDatabase.Codes.SelectMany(c => new[] { $"secretary-{c}", $"griffier-{c}" }).Order(StringComparer.Ordinal).ToArray()),
            "every participating college's secretary, and every council's griffier (the letter is ready), once");
        var messages = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Outbox.AsNoTracking().Where(m => m.Kind == "publication").ToListAsync());
        Assert.That(messages.Select(m => m.CreatedAt).Distinct(), Is.EqualTo(new[] { release }), "all at the same instant");
        var secretary = messages.First(m => m.RecipientUserId.StartsWith("secretary-", StringComparison.Ordinal));
        Assert.That(secretary.Subject, Does.StartWith("Vrijgegeven: ‘Doorontwikkeling bestuurlijke samenwerking Drechtsteden’"));
        Assert.That(secretary.Body, Does.Contain("Het embargo is vanaf nu opgeheven"));
        var griffier = messages.First(m => m.RecipientUserId.StartsWith("griffier-", StringComparison.Ordinal));
        Assert.That(griffier.Subject, Does.StartWith("Raadsinformatiebrief voor de raad: ‘Doorontwikkeling bestuurlijke samenwerking Drechtsteden’"));
        Assert.That(griffier.Link, Does.Contain($"/processen/{process}/raadsinformatiebrief/{griffier.MunicipalityCode}"));
        var audit = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking()
            .Where(e => e.ChainId == process && e.Action == "publication.sent").Select(e => e.MunicipalityCode).ToListAsync());
        Assert.That(audit, Is.EquivalentTo(ProcessDatabase.Codes.Concat(ProcessDatabase.Codes)), "one entry per college and one per council, on the process chain");

        await SweepAtAsync(release.AddMinutes(5));
        Assert.That(await RecipientsAsync("publication"), Has.Count.EqualTo(14), "told once");
    }

    private sealed class ChoosySender(HashSet<string> refused) : IMailSender
    {
        public Task SendAsync(OutboxMessage message, CancellationToken cancellationToken) =>
            refused.Contains(message.RecipientUserId) ? throw new InvalidOperationException("mailbox unavailable") : Task.CompletedTask;
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
        await _db.DecideAsync(process, "GM0505", new RecordDecision(DecisionOutcome.Adopted, 1));

        await SweepAtAsync(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(9, 0)));

        Assert.That((await RecipientsAsync("reminder")).Where(r => r.StartsWith("college-", StringComparison.Ordinal)), Is.EqualTo(new[] { "college-GM0590" }),
            "Papendrecht met on Friday, reminded on Monday 2 September (already due), Dordrecht decided");
    }

    [Test]
    public async Task Moving_a_meeting_moves_the_decision_reminder_of_the_items_on_it()
    {
        var process = (await _db.StartAsync()).ProcessId;
        var meeting = await _db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 3));
        await _db.ScheduleAsync(process, "GM0505", meeting.Id);
        Task<ProcessTimer> ReminderAsync() => _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking()
            .SingleAsync(t => t.ProcessId == process && t.TimerId == "decision-reminder" && t.Status == TimerStatus.Scheduled));
        Assert.That((await ReminderAsync()).DueAt, Is.EqualTo(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(9, 0))));

        await _db.InScopeAsync(sp => sp.GetRequiredService<Web.Agenda.MeetingCommands>()
            .MoveAsync(meeting.Id, new Decisions.Agenda.MeetingChange(Amsterdam.At(new DateOnly(2024, 9, 5), new TimeOnly(10, 0)), "Verzet"), ProcessDatabase.Secretary("GM0505")));

        var moved = await ReminderAsync();
        Assert.That(moved.DueAt, Is.EqualTo(Amsterdam.At(new DateOnly(2024, 9, 6), new TimeOnly(9, 0))), "a new instant is a new timer");
        var old = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking()
            .SingleAsync(t => t.ProcessId == process && t.TimerId == "decision-reminder" && t.Status == TimerStatus.Cancelled));
        Assert.That(old.DueAt, Is.EqualTo(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(9, 0))), "the old one stays, cancelled");
        var trail = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking()
            .Where(e => e.ChainId == process).Select(e => e.Action).ToListAsync());
        Assert.That(trail, Has.Member("item.meeting-moved"), "the process's own trail says why its item's date changed");
        var item = (await _db.LoadAsync(process)).Item("GM0505");
        Assert.That(item.MeetingStartsAt, Is.EqualTo(Amsterdam.At(new DateOnly(2024, 9, 5), new TimeOnly(10, 0))));
    }

    [Test]
    public async Task A_meeting_with_items_on_it_is_not_cancelled_nor_moved_past_the_deadline()
    {
        var process = (await _db.StartAsync()).ProcessId;
        var meeting = await _db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 3));
        await _db.ScheduleAsync(process, "GM0505", meeting.Id);
        var commands = (IServiceProvider sp) => sp.GetRequiredService<Web.Agenda.MeetingCommands>();
        var secretary = ProcessDatabase.Secretary("GM0505");

        var cancel = (await Assert.ThrowsAsync<DomainException>(() => _db.InScopeAsync(sp => commands(sp).CancelAsync(meeting.Id, new Decisions.Agenda.MeetingChange(null), secretary))))!;
        var late = (await Assert.ThrowsAsync<DomainException>(() => _db.InScopeAsync(sp => commands(sp).MoveAsync(meeting.Id, new Decisions.Agenda.MeetingChange(Amsterdam.At(new DateOnly(2024, 9, 17), new TimeOnly(10, 0))), secretary))))!;
        var other = (await Assert.ThrowsAsync<DomainException>(() => _db.InScopeAsync(sp => commands(sp).CancelAsync(meeting.Id, new Decisions.Agenda.MeetingChange(null), ProcessDatabase.Secretary("GM0590")))))!;

        Assert.That(cancel.Code, Is.EqualTo("meeting-has-items"));
        Assert.That(late.Code, Is.EqualTo("meeting-after-deadline"));
        Assert.That(other.Kind, Is.EqualTo(DomainErrorKind.Forbidden), "Papendrecht's secretary does not keep Dordrecht's calendar");
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

    /// <summary>
    /// A timer weeks ahead costs no Hangfire job; a wake-up that comes too early fires nothing; the sweeper books the
    /// wake-up once the timer is within the horizon (five minutes), so it still fires on time.
    /// </summary>
    [Test]
    public async Task A_timer_woken_early_fires_nothing_and_gets_its_wake_up_when_it_comes_near()
    {
        var process = (await _db.StartAsync()).ProcessId;
        var deadline = (await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().SingleAsync(t => t.ProcessId == process && t.TimerId == "deadline")));

        var fired = await _db.InScopeAsync(sp => sp.GetRequiredService<Web.Processes.CommandPipeline>().FireTimerAsync(deadline.Id, deadline.DueAt, "test"));

        Assert.That(fired, Is.False);
        var after = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().SingleAsync(t => t.Id == deadline.Id));
        Assert.That(after.Status, Is.EqualTo(TimerStatus.Scheduled));
        Assert.That(after.HangfireJobId, Is.Null, "weeks ahead: no Hangfire job yet");

        await SweepAtAsync(deadline.DueAt - TimerStore.WakeUpHorizon - TimeSpan.FromMinutes(1));
        var stillFar = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().SingleAsync(t => t.Id == deadline.Id));
        Assert.That(stillFar.HangfireJobId, Is.Null, "six minutes ahead: still the sweeper's");

        await SweepAtAsync(deadline.DueAt - TimeSpan.FromMinutes(4));
        var near = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().SingleAsync(t => t.Id == deadline.Id));
        Assert.That(near.HangfireJobId, Is.Not.Null, "within the horizon: the sweeper booked its wake-up");
        Assert.That(near.Status, Is.EqualTo(TimerStatus.Scheduled));
    }
}
