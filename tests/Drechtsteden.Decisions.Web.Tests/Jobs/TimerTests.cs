using System.Net;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using static Drechtsteden.Decisions.Web.Tests.Jobs.TimerHarness;

namespace Drechtsteden.Decisions.Web.Tests.Jobs;

/// <summary>Timers on a real Hangfire server: fired once, never early, moved, cancelled, rescued by the sweeper.</summary>
[NonParallelizable]
public sealed class TimerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private TestDatabase _database = null!;
    private DecisionsAppFactory _app = null!;

    [SetUp]
    public async Task HostWithHangfire()
    {
        _database = await SeededDatabaseAsync();
        _app = new DecisionsAppFactory(_database.App);
        _app.CreateClient().Dispose(); // starts the host: Hangfire server, dispatcher
    }

    [TearDown]
    public async Task Stop() => await _app.DisposeAsync();

    [Test]
    public async Task The_deadline_fires_once_never_early_escalates_and_mails_the_coordinator()
    {
        var process = await StartAsync(_app, Now.AddSeconds(3));
        var timer = (await TimersAsync(_app, process)).Single(t => t.TimerId == "deadline");
        Assert.That(timer.HangfireJobId, Is.Not.Null, "a Hangfire wake-up was scheduled after the commit");

        await WaitUntilAsync(async () => (await FiringsAsync(_app, process)).Count > 0, Patience, "the deadline fired");
        await WaitUntilAsync(async () => (await MessagesAsync(_app, process)).All(m => m.Status == OutboxStatus.Sent), Patience, "the escalation was sent");
        await Task.Delay(2000); // a second firing or message would show up now

        var firing = (await FiringsAsync(_app, process)).Single();
        Assert.That(firing.FiredAt, Is.GreaterThanOrEqualTo(timer.DueAt), "never before its due instant");
        Assert.That(firing.LatenessMilliseconds, Is.InRange(0, 2000), "within 2 s after it");
        Assert.That(await ProcessStateAsync(_app, process), Is.EqualTo("Overdue"));
        var message = (await MessagesAsync(_app, process)).Single();
        Assert.That(message.RecipientUserId, Is.EqualTo("coordinator"));
        Assert.That(message.Kind, Is.EqualTo("escalation"));
        Assert.That(message.Subject, Does.StartWith("Termijn verstreken: ‘Korte termijn’"));
        Assert.That(message.Link, Does.Contain($"/processen/{process}"));
        Assert.That(Directory.GetFiles(_app.MailDirectory, "*.eml").Count(f => File.ReadAllText(f).Contains("X-Drechtsteden-Kind: escalation", StringComparison.Ordinal)),
            Is.EqualTo(1), "without SMTP settings the message is an .eml file");
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, "admin;Admin"); // the mailbox is for administrators
        var mailbox = await client.GetStringAsync(new Uri(DevMailbox.Path, UriKind.Relative));
        Assert.That(mailbox, Does.Contain("<html lang=\"nl\">").And.Contain("Termijn verstreken: ‘Korte termijn’").And.Contain("verzonden"), "and listed in the app");
    }

    [Test]
    public async Task An_extended_deadline_moves_its_timer()
    {
        var start = Now;
        var process = await StartAsync(_app, start.AddSeconds(3));
        await RunAsync(_app, process, Coordinator, new ExtendDeadline(null, start.AddSeconds(7), "Vergadering uitgesteld"));

        await Task.Delay(TimeSpan.FromSeconds(4.5));
        Assert.That(await FiringsAsync(_app, process), Is.Empty, "the old instant has passed, nothing fired");
        Assert.That(await ProcessStateAsync(_app, process), Is.EqualTo("Running"));

        await WaitUntilAsync(async () => (await FiringsAsync(_app, process)).Count > 0, Patience, "the moved deadline fired");
        var timer = (await TimersAsync(_app, process)).Single(t => t.TimerId == "deadline" && t.Status == TimerStatus.Fired);
        Assert.That(timer.DueAt, Is.EqualTo(AuditMicroseconds(start.AddSeconds(7))));
        Assert.That((await TimersAsync(_app, process)).Single(t => t.TimerId == "deadline" && t.Status == TimerStatus.Cancelled).DueAt,
            Is.EqualTo(AuditMicroseconds(start.AddSeconds(3))), "the old instant stays in history, cancelled");
        Assert.That((await FiringsAsync(_app, process)).Single().FiredAt, Is.GreaterThanOrEqualTo(timer.DueAt));
    }

    [Test]
    public async Task Synchronizing_cancels_the_deadline_timer()
    {
        var process = await StartAsync(_app, Now.AddSeconds(5));
        var meeting = await AddMeetingAsync(_app, "GM0505", Now.AddSeconds(1));
        await RunAsync(_app, process, ProcessDatabase.Secretary("GM0505"), new ScheduleItem(meeting.Id) { Municipality = "GM0505" });
        await RunAsync(_app, process, ProcessDatabase.College("GM0505"), new RecordDecision(DecisionOutcome.Adopted, 1) { Municipality = "GM0505" });
        Assert.That(await ProcessStateAsync(_app, process), Is.EqualTo("Synchronized"));

        var deadline = (await TimersAsync(_app, process)).Single(t => t.TimerId == "deadline");
        Assert.That(deadline.Status, Is.EqualTo(TimerStatus.Cancelled));
        Assert.That(deadline.HangfireJobId, Is.Null);
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.That(await FiringsAsync(_app, process), Is.Empty);
        Assert.That(await ProcessStateAsync(_app, process), Is.EqualTo("Synchronized"));
    }

    [Test]
    public async Task A_timer_whose_wake_up_was_lost_is_fired_by_the_sweeper()
    {
        var process = await StartAsync(_app, Now.AddSeconds(2));
        var timer = (await TimersAsync(_app, process)).Single(t => t.TimerId == "deadline");
        _app.Services.GetRequiredService<IBackgroundJobClient>().Delete(timer.HangfireJobId);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        // Its wake-up is gone: nothing fires it but a sweep (the host's own start-up or minutely sweep may beat ours).
        Assert.That((await FiringsAsync(_app, process)).Select(f => f.FiredBy), Has.None.EqualTo("hangfire"), "its wake-up is gone");

        await InScopeAsync(_app, async sp => { await sp.GetRequiredService<TimerJobs>().SweepAsync(); return 0; });

        var firing = (await FiringsAsync(_app, process)).Single();
        Assert.That(firing.FiredBy, Is.EqualTo("sweeper"));
        Assert.That(await ProcessStateAsync(_app, process), Is.EqualTo("Overdue"));
        using var connection = _app.Services.GetRequiredService<JobStorage>().GetConnection();
        Assert.That(connection.GetRecurringJobs().Select(j => j.Id), Has.Member(TimerJobs.SweeperJobId), "the sweeper runs every minute");
    }

    [Test]
    public async Task The_dashboard_is_for_administrators_and_coordinators_only()
    {
        using var client = _app.CreateClient();
        async Task<HttpStatusCode> AsAsync(string? user)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
            if (user is not null)
                request.Headers.Add(TestAuthentication.Header, user);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.That(await AsAsync(null), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await AsAsync("s;Secretary;GM0505"), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await AsAsync("a;Auditor"), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await AsAsync("c;Coordinator"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await AsAsync("b;Admin"), Is.EqualTo(HttpStatusCode.OK));
    }

    private static DateTimeOffset AuditMicroseconds(DateTimeOffset instant) => Web.Audit.AuditHash.ToMicroseconds(instant);
}
