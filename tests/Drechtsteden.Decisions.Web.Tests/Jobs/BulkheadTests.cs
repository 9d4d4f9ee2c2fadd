using System.Net;
using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Tests.Processes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Jobs;

/// <summary>
/// A timer or a message that fails is isolated: counted, retried after a pause, parked after the last attempt (audited,
/// administrators told, listed on the Storingen page), and it never holds up another timer, the wake-up booking, the
/// risk alerts or the other messages.
/// </summary>
public sealed partial class BulkheadTests
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private EdgeApp _app = null!;

    [SetUp]
    public async Task Host()
    {
        _app = await EdgeApp.StartAsync(Start);
        await using var scope = _app.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        db.Users.Add(new UserAccount("admin", "Functioneel beheer", "beheer@example.org", Role.Admin));
        await db.SaveChangesAsync();
    }

    [TearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private Task<Guid> StartAsync(string reference, DateTimeOffset deadline, string code) => _app.StartProcessAsync(new
    {
        title = $"Proces {reference}", reference, conceptText = "Het college stemt in.", deadlineAt = deadline, participants = new[] { code },
    });

    private async Task<object?[]> TimerAsync(Guid process) =>
        (await _app.QueryAsync("SELECT id, status, attempts, last_error, next_attempt_at FROM timers WHERE process_id = $1 AND timer_id = 'deadline' ORDER BY id DESC LIMIT 1", process))[0];

    /// <summary>A fault in the database for one timer only: its firing row cannot be written.</summary>
    private async Task BreakAsync(long timerId)
    {
        await using var connection = new NpgsqlConnection(_app.Database.Superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            CREATE FUNCTION test_broken_timer() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.timer_id = {timerId} THEN RAISE EXCEPTION 'simulated disk fault'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER test_broken_timer BEFORE INSERT ON timer_firings FOR EACH ROW EXECUTE FUNCTION test_broken_timer();
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task RepairAsync()
    {
        await using var connection = new NpgsqlConnection(_app.Database.Superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("DROP TRIGGER test_broken_timer ON timer_firings", connection);
        await command.ExecuteNonQueryAsync();
    }

    [Test]
    public async Task A_timer_that_keeps_failing_is_retried_after_pauses_then_parked_and_never_holds_up_the_others()
    {
        var broken = await StartAsync("2027-B1", Start.AddDays(3), "GM0505");
        var healthy = await StartAsync("2027-B2", Start.AddDays(3).AddMinutes(1), "GM0590");
        var brokenTimer = (long)(await TimerAsync(broken))[0]!;
        await BreakAsync(brokenTimer);

        var sweep = Start.AddDays(3).AddMinutes(2);
        var later = await StartAsync("2027-B3", sweep.AddMinutes(3), "GM0610"); // due within the wake-up horizon of the sweep
        await _app.SweepAtAsync(sweep);

        Assert.That(await _app.StateAsync(healthy), Is.EqualTo("Overdue"), "the timer after the broken one fired in the same sweep");
        Assert.That(await _app.StateAsync(broken), Is.EqualTo("Running"), "the broken one changed nothing");
        var failed = await TimerAsync(broken);
        Assert.That((failed[1], failed[2]), Is.EqualTo(("Scheduled", 1)));
        Assert.That((string)failed[3]!, Does.Contain("simulated disk fault"));
        Assert.That((DateTime)failed[4]!, Is.EqualTo(sweep.AddSeconds(30).UtcDateTime), "tried again after a pause, not at every sweep");
        var booked = await _app.QueryAsync("SELECT hangfire_job_id FROM timers WHERE process_id = $1 AND timer_id = 'deadline'", later);
        Assert.That(booked[0][0], Is.Not.Null, "the wake-up booking ran after the failure");
        var risks = await _app.QueryAsync("SELECT process_id FROM risk_alerts");
        Assert.That(risks.Select(r => (Guid)r[0]!), Is.EqualTo(new[] { later }), "the risk alerts ran after the failure (the process still ahead of its deadline, without meetings)");

        await _app.SweepAtAsync(sweep.AddSeconds(10));
        Assert.That((await TimerAsync(broken))[2], Is.EqualTo(1), "not retried before its pause is over");

        var at = sweep;
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            at = new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await TimerAsync(broken))[4]!, DateTimeKind.Utc));
            await _app.SweepAtAsync(at);
        }
        var parked = await TimerAsync(broken);
        Assert.That((parked[1], parked[2]), Is.EqualTo(("Parked", 5)));
        var trail = await _app.QueryAsync("SELECT action, reason FROM audit_entries WHERE chain_id = $1 AND action = 'timer.parked'", broken);
        Assert.That(trail, Has.Count.EqualTo(1), "parking is on the process's trail");
        var alerts = await _app.QueryAsync("SELECT recipient_user_id, subject FROM outbox_messages WHERE kind = 'alert'");
        Assert.That(alerts.Select(r => (string)r[0]!), Is.EqualTo(new[] { "admin" }), "the administrators are told, once");
        Assert.That((string)alerts[0][1]!, Does.StartWith("Storing: een termijnbewaking van ‘Proces 2027-B1’"));

        await _app.SweepAtAsync(at.AddHours(2));
        Assert.That((await TimerAsync(broken))[2], Is.EqualTo(5), "a parked timer is left alone");

        // The administrator sees it, repairs the cause and sends it back: it fires.
        using var admin = _app.As("admin;Admin");
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/beheer/storingen", UriKind.Relative)));
        Assert.That(page, Does.Contain("Proces 2027-B1").And.Contain("simulated disk fault"));
        await RepairAsync();
        var token = await EdgeApp.AntiforgeryTokenAsync(admin, "/beheer/storingen");
        using var retry = await admin.PostAsync(new Uri($"/beheer/storingen?handler=Timer&id={brokenTimer}", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), "redirected back to the page");
        await _app.SweepAtAsync(_app.Clock.GetUtcNow().AddMinutes(1));
        Assert.That(await _app.StateAsync(broken), Is.EqualTo("Overdue"), "sent back, it fires");
        Assert.That((await _app.QueryAsync("SELECT count(*) FROM audit_entries WHERE chain_id = $1 AND action = 'timer.retried' AND actor_id = 'admin'", broken))[0][0],
            Is.EqualTo(1L), "the retry is audited with who sent it back");
    }

    [Test]
    public async Task A_message_that_cannot_be_delivered_is_parked_without_holding_up_the_others_and_the_administrators_are_told()
    {
        var process = await StartAsync("2027-M1", Start.AddDays(3), "GM0505");
        await _app.SweepAtAsync(Start.AddMinutes(1)); // a risk alert to the coordinator: no meetings
        await _app.SweepAtAsync(Start.AddDays(3).AddMinutes(1)); // and the escalation
        var queued = (await _app.QueryAsync("SELECT id, recipient_user_id FROM outbox_messages WHERE process_id = $1 ORDER BY id", process)).ToList();
        Assert.That(queued, Has.Count.GreaterThanOrEqualTo(2));
        var refused = new RefusingSender("coordinator");

        await using (var scope = _app.App.Services.CreateAsyncScope())
        {
            var dispatcher = ActivatorUtilities.CreateInstance<OutboxDispatcher>(scope.ServiceProvider, (IMailSender)refused, new MailOptions { MaxAttempts = 2 });
            await dispatcher.DispatchOnceAsync();
            _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddMinutes(1));
            await dispatcher.DispatchOnceAsync();
        }

        var statuses = await _app.QueryAsync("SELECT recipient_user_id, status, attempts FROM outbox_messages ORDER BY id");
        Assert.That(statuses.Where(r => (string)r[0]! == "coordinator").Select(r => (r[1], r[2])), Has.All.EqualTo(("Failed", 2)));
        Assert.That(statuses.Where(r => (string)r[0]! == "admin").Select(r => r[1]), Has.All.EqualTo("Sent"), "the administrators' alerts went out");
        Assert.That(statuses.Count(r => (string)r[0]! == "admin"), Is.EqualTo(statuses.Count(r => (string)r[0]! == "coordinator")), "one alert per parked message");
        var proofs = await _app.QueryAsync("SELECT count(*) FROM audit_entries WHERE chain_id = $1 AND action = 'message.failed'", process);
        Assert.That(proofs[0][0], Is.EqualTo((long)statuses.Count(r => (string)r[0]! == "coordinator")));

        using var admin = _app.As("admin;Admin");
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/beheer/storingen", UriKind.Relative)));
        Assert.That(page, Does.Contain("Termijn verstreken: ‘Proces 2027-M1’").And.Contain("mailbox vol"));
        var id = long.Parse(MessageRetry().Match(page).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var token = await EdgeApp.AntiforgeryTokenAsync(admin, "/beheer/storingen");
        (await admin.PostAsync(new Uri($"/beheer/storingen?handler=Message&id={id}", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }))).Dispose();
        Assert.That((await _app.QueryAsync("SELECT status, attempts FROM outbox_messages WHERE id = $1", id))[0], Is.EqualTo(new object[] { "Pending", 0 }));

        using var coordinator = _app.Coordinator();
        Assert.That((await coordinator.GetAsync(new Uri("/beheer/storingen", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "administrators only");
    }

    private sealed class RefusingSender(string recipient) : IMailSender
    {
        public Task SendAsync(OutboxMessage message, CancellationToken cancellationToken) =>
            message.RecipientUserId == recipient ? throw new InvalidOperationException("mailbox vol") : Task.CompletedTask;
    }

    [GeneratedRegex(@"handler=Message&id=(\d+)")]
    private static partial Regex MessageRetry();
}
