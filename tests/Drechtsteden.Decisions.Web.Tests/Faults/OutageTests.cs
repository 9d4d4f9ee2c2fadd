using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Data.Embedded;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests.Faults;

/// <summary>
/// 3. PostgreSQL stops for ten seconds under load: 503 with Retry-After (never 500), readiness red then green,
/// Hangfire resumes, and the reminders that fell due in the outage are sent once afterwards.
/// 4. The host is down across a timer's due instant: the timer fires once after the restart.
/// </summary>
[NonParallelizable]
public sealed class OutageTests
{
    [Test]
    public async Task A_database_outage_answers_503_with_Retry_After_and_loses_no_reminder()
    {
        // A cluster of its own, on a fixed port, so it can be stopped and started again under the host.
        var directory = Path.Combine(Path.GetTempPath(), $"drechtsteden-outage-{Guid.NewGuid():N}");
        await using var cluster = EmbeddedPostgresCluster.Create(new EmbeddedPostgresOptions { DataDirectory = directory, Port = HostProcess.FreePort() });
        await cluster.StartAsync();
        var database = new TestDatabase("decisions", cluster.AppConnectionString, cluster.OwnerConnectionString, cluster.ConnectionString);
        await using (var migrate = HostProcess.Start(new Dictionary<string, string?>
                     {
                         ["ConnectionStrings__Decisions"] = database.App, ["ConnectionStrings__DecisionsOwner"] = database.Owner,
                         ["DemoData__Enabled"] = "false",
                     }, "migrate"))
        {
            Assert.That(await migrate.WaitForExitAsync(TimeSpan.FromSeconds(90)), Is.Zero, migrate.StandardError);
        }
        await using (await ProcessDatabase.CreateAsync(connectionString: database.App)) { } // the region and its users
        var rig = await FaultRig.CreateAsync(database);
        await using var host = rig.StartHost();
        await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var coordinator = await FaultRig.ClientAsync(host, "coordinator");

        // Ten deadline escalations fall due in the middle of the outage.
        const int timers = 10;
        var outageStarts = DateTimeOffset.UtcNow.AddSeconds(4);
        var ids = new List<Guid>();
        for (var i = 0; i < timers; i++)
        {
            using var request = FaultRig.StartRequest($"outage-{i}", outageStarts.AddSeconds(3).AddMilliseconds(300 * i), participants: ["GM0505"]);
            using var response = await coordinator.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["processId"]!.GetValue<Guid>());
        }

        var statuses = new ConcurrentBag<(HttpStatusCode Status, bool RetryAfter)>();
        var readiness = new ConcurrentQueue<HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 2).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                using var request = n % 2 == 0
                    ? new HttpRequestMessage(HttpMethod.Get, "/api/processes")
                    : FaultRig.StartRequest($"load-{worker}-{n}");
                try
                {
                    using var response = await coordinator.SendAsync(request);
                    statuses.Add((response.StatusCode, response.Headers.RetryAfter is not null));
                }
                catch (HttpRequestException) { statuses.Add((0, false)); }
                await Task.Delay(50);
            }
        })).ToList();
        var probe = Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                    readiness.Enqueue(response.StatusCode);
                }
                catch (TaskCanceledException) { readiness.Enqueue(HttpStatusCode.RequestTimeout); }
                await Task.Delay(250);
            }
        });

        await Task.Delay(outageStarts - DateTimeOffset.UtcNow);
        await cluster.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        await cluster.StartAsync();
        Npgsql.NpgsqlConnection.ClearAllPools(); // this test's own pooled connections died with the server
        await Task.Delay(TimeSpan.FromSeconds(6));
        await stop.CancelAsync();
        await Task.WhenAll(load);
        await probe;

        // The reminders that fell due in the outage: sent once, afterwards.
        var waitUntil = DateTimeOffset.UtcNow.AddSeconds(90);
        long fired, sent;
        do
        {
            await Task.Delay(1000);
            fired = await rig.ScalarAsync("SELECT count(*) FROM timer_firings f JOIN timers t ON t.id = f.timer_id WHERE t.process_id = ANY($1) AND t.timer_id = 'deadline'", ids.ToArray());
            sent = await rig.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1) AND status = 'Sent'", ids.ToArray());
        }
        while ((fired < timers || sent < timers) && DateTimeOffset.UtcNow < waitUntil);
        var messages = await rig.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1)", ids.ToArray());
        var attempts = await rig.ScalarAsync("SELECT coalesce(sum(attempts), 0) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1) AND status = 'Sent'", ids.ToArray());

        var unavailable = statuses.Count(s => s.Status == HttpStatusCode.ServiceUnavailable);
        var errors = statuses.Count(s => (int)s.Status >= 500 && s.Status != HttpStatusCode.ServiceUnavailable);
        var seen = readiness.ToList();
        var red = seen.FindIndex(s => s == HttpStatusCode.ServiceUnavailable);
        Assert.Multiple(() =>
        {
            Assert.That(unavailable, Is.GreaterThan(0), "requests in the outage are answered 503");
            Assert.That(statuses.Where(s => s.Status == HttpStatusCode.ServiceUnavailable).All(s => s.RetryAfter), "every 503 says when to retry");
            Assert.That(errors, Is.Zero, "no 500 (nor any other 5xx)");
            Assert.That(statuses.Count(s => s.Status == 0), Is.Zero, "no connection dropped");
            Assert.That(red, Is.GreaterThanOrEqualTo(0), "readiness turned red");
            Assert.That(seen.Skip(Math.Max(0, red)).Any(s => s == HttpStatusCode.OK), "and green again");
            Assert.That(seen[^1], Is.EqualTo(HttpStatusCode.OK));
            Assert.That(fired, Is.EqualTo(timers), "every timer due in the outage fired once");
            Assert.That(messages, Is.EqualTo(timers));
            Assert.That(sent, Is.EqualTo(timers), "and its reminder went out");
            Assert.That(attempts, Is.EqualTo(timers), "once");
        });
        FaultRig.Report($"outage: requests {statuses.Count}, answered 503 {unavailable} (all with Retry-After), 500 {errors}; readiness probes {seen.Count}, red {seen.Count(s => s != HttpStatusCode.OK)}; " +
            $"timers due in the outage {timers}, fired {fired}, duplicated {fired - timers}; reminders sent {sent}");
    }

    [Test]
    public async Task A_timer_due_while_no_instance_runs_fires_once_after_the_restart()
    {
        var rig = await FaultRig.CreateAsync();
        var ids = new List<Guid>();
        await using (var host = rig.StartHost())
        {
            await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            using var coordinator = await FaultRig.ClientAsync(host, "coordinator");
            var due = DateTimeOffset.UtcNow.AddSeconds(4);
            for (var i = 0; i < 2; i++)
            {
                using var request = FaultRig.StartRequest($"asleep-{i}", due, participants: ["GM0505"]);
                using var response = await coordinator.SendAsync(request);
                ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["processId"]!.GetValue<Guid>());
            }
            await host.StopAsync(TimeSpan.FromSeconds(30));
        }
        // The second timer also lost its Hangfire wake-up while the host was down: only the sweeper can fire it.
        Assert.That(await rig.ScalarAsync("WITH gone AS (DELETE FROM hangfire.job WHERE id IN (SELECT hangfire_job_id::bigint FROM timers WHERE process_id = $1 AND hangfire_job_id IS NOT NULL) RETURNING 1) SELECT count(*) FROM gone", ids[1]),
            Is.EqualTo(1), "its wake-up was booked, and is now gone");
        await rig.ScalarAsync("WITH lost AS (UPDATE timers SET hangfire_job_id = NULL WHERE process_id = $1 RETURNING 1) SELECT count(*) FROM lost", ids[1]);
        await Task.Delay(TimeSpan.FromSeconds(6)); // the due instant passes while nothing runs

        await using var restarted = rig.StartHost();
        await restarted.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        var waitUntil = DateTimeOffset.UtcNow.AddSeconds(30);
        long fired;
        do
        {
            await Task.Delay(500);
            fired = await rig.ScalarAsync("SELECT count(*) FROM timer_firings f JOIN timers t ON t.id = f.timer_id WHERE t.process_id = ANY($1) AND t.timer_id = 'deadline'", ids.ToArray());
        }
        while (fired < 2 && DateTimeOffset.UtcNow < waitUntil);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second firing would show up now
        fired = await rig.ScalarAsync("SELECT count(*) FROM timer_firings f JOIN timers t ON t.id = f.timer_id WHERE t.process_id = ANY($1) AND t.timer_id = 'deadline'", ids.ToArray());
        var bySweeper = await rig.ScalarAsync("SELECT count(*) FROM timer_firings f JOIN timers t ON t.id = f.timer_id WHERE t.process_id = $1 AND f.fired_by = 'sweeper'", ids[1]);
        var messages = await rig.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE kind = 'escalation' AND process_id = ANY($1)", ids.ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(fired, Is.EqualTo(2), "each timer fired once after the restart, not zero or two times");
            Assert.That(bySweeper, Is.EqualTo(1), "the one without a wake-up was fired by the sweeper at start-up");
            Assert.That(messages, Is.EqualTo(2));
        });
        FaultRig.Report($"host down across the due instant: timers due 2, fired {fired} (by the sweeper {bySweeper}), duplicated {fired - 2}, messages {messages}");
    }
}
