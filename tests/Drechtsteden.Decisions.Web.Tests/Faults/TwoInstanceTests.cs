using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Web.Tests.Faults;

/// <summary>2. Two instances on one database: timers fire once, messages go once, conflicting decisions: one wins.</summary>
[NonParallelizable]
public sealed class TwoInstanceTests
{
    [Test]
    public async Task Two_instances_share_timers_messages_and_conflicts_without_duplicates()
    {
        var rig = await FaultRig.CreateAsync();
        await using var a = rig.StartHost();
        await using var b = rig.StartHost();
        await Task.WhenAll(a.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)), b.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)));
        using var coordinatorA = await FaultRig.ClientAsync(a, "coordinator");
        using var coordinatorB = await FaultRig.ClientAsync(b, "coordinator");

        // Timers: twenty processes (half started on each instance) whose deadline falls 6–10 s from now.
        const int timers = 20;
        var first = DateTimeOffset.UtcNow.AddSeconds(6);
        var ids = new List<Guid>();
        for (var i = 0; i < timers; i++)
        {
            // On a loaded machine the starts take longer than planned: a deadline is never set in the past.
            var due = first.AddMilliseconds(200 * i);
            if (due < DateTimeOffset.UtcNow.AddSeconds(2))
                due = DateTimeOffset.UtcNow.AddSeconds(2);
            using var request = FaultRig.StartRequest($"twin-{i}", due, participants: ["GM0505"]);
            using var response = await (i % 2 == 0 ? coordinatorA : coordinatorB).SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["processId"]!.GetValue<Guid>());
        }

        // Conflicting decisions: one item, scheduled on yesterday's meeting (arranged in SQL), decided on both at once.
        using var start = FaultRig.StartRequest("twin-conflict", participants: ["GM0505"]);
        using var started = await coordinatorA.SendAsync(start);
        var process = (await started.Content.ReadFromJsonAsync<JsonObject>())!["processId"]!.GetValue<Guid>();
        var yesterday = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(-1);
        var meeting = Guid.NewGuid();
        await rig.ScalarAsync("INSERT INTO meetings (id, municipality_code, starts_at, status) VALUES ($1, 'GM0505', $2, 'Planned') RETURNING 1", meeting, Amsterdam.At(yesterday, new TimeOnly(10, 0)).UtcDateTime);
        await rig.ScalarAsync("UPDATE agenda_items SET state = 'Scheduled', meeting_id = $1, meeting_starts_at = $2 WHERE process_id = $3 RETURNING 1", meeting, Amsterdam.At(yesterday, new TimeOnly(10, 0)).UtcDateTime, process);
        using var collegeA = await FaultRig.ClientAsync(a, "college-GM0505");
        using var collegeB = await FaultRig.ClientAsync(b, "college-GM0505");
        var decision = new { outcome = "Adopted", conceptVersion = 1, decidedOn = yesterday };
        var answers = await Task.WhenAll(
            collegeA.PostAsJsonAsync(new Uri($"/api/processes/{process}/items/GM0505/decision", UriKind.Relative), decision),
            collegeB.PostAsJsonAsync(new Uri($"/api/processes/{process}/items/GM0505/decision", UriKind.Relative), decision));
        var statuses = answers.Select(r => r.StatusCode).ToList();
        foreach (var answer in answers)
            answer.Dispose();
        Assert.That(statuses.Count(s => s == HttpStatusCode.OK), Is.EqualTo(1), string.Join(", ", statuses));
        Assert.That(statuses.Count(s => s == HttpStatusCode.Conflict), Is.EqualTo(1), string.Join(", ", statuses));
        Assert.That(await rig.ScalarAsync("SELECT count(*) FROM decisions d JOIN agenda_items i ON i.id = d.item_id WHERE i.process_id = $1", process), Is.EqualTo(1));

        // Wait for the deadline timers, then count firings, messages and files.
        var waitUntil = DateTimeOffset.UtcNow.AddSeconds(40);
        long fired;
        do
        {
            await Task.Delay(1000);
            fired = await rig.ScalarAsync("SELECT count(*) FROM timer_firings f JOIN timers t ON t.id = f.timer_id WHERE t.process_id = ANY($1) AND t.timer_id = 'deadline'", ids.ToArray());
        }
        while ((fired < timers || await rig.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE kind = 'escalation' AND status <> 'Sent'") > 0) && DateTimeOffset.UtcNow < waitUntil);
        var messages = await rig.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1)", ids.ToArray());
        var sent = await rig.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1) AND status = 'Sent'", ids.ToArray());
        var files = Directory.GetFiles(rig.MailDirectory, "*.eml").Count(f => File.ReadAllText(f).Contains("X-Drechtsteden-Kind: escalation", StringComparison.Ordinal));
        var attempts = await rig.ScalarAsync("SELECT coalesce(sum(attempts), 0) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1)", ids.ToArray());
        var firedBy = await rig.ScalarAsync("SELECT count(DISTINCT split_part(fired_by, ':', 1)) FROM timer_firings");
        Assert.Multiple(() =>
        {
            Assert.That(fired, Is.EqualTo(timers), "each timer fired once");
            Assert.That(messages, Is.EqualTo(timers), "one escalation per timer (one coordinator)");
            Assert.That(sent, Is.EqualTo(timers), "each sent");
            Assert.That(files, Is.EqualTo(timers), "one file per message");
            Assert.That(attempts, Is.EqualTo(timers), "each handed to the mail sender once");
        });
        FaultRig.Report($"two instances: timers due {timers}, fired {fired}, duplicated {fired - timers}; messages {messages}, sent {sent}, send attempts {attempts}, files {files}; " +
            $"conflicting decisions: {statuses.Count(s => s == HttpStatusCode.OK)} success, {statuses.Count(s => s == HttpStatusCode.Conflict)} conflict ({firedBy} kinds of waker)");
    }
}
