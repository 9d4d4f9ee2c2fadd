using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Drechtsteden.Decisions.Web.Tests.Faults;

/// <summary>
/// 1. Crash: the host is killed (SIGKILL) under a steady stream of commands. After the restart every acknowledged
/// command is in the database exactly once, a retry with the same Idempotency-Key gets the original answer, and the
/// audit trail verifies.
/// </summary>
[NonParallelizable]
public sealed class CrashTests
{
    [Test]
    public async Task A_crash_under_load_loses_no_acknowledged_command_and_duplicates_none()
    {
        var rig = await FaultRig.CreateAsync();
        var host = rig.StartHost();
        await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var coordinator = await FaultRig.ClientAsync(host, "coordinator");

        var acknowledged = new ConcurrentDictionary<string, Guid>(); // idempotency key → process id
        var sent = new ConcurrentBag<string>();
        var run = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"crash-{worker}-{n}";
                sent.Add(key);
                try
                {
                    using var request = FaultRig.StartRequest(key, idempotencyKey: key);
                    using var response = await coordinator.SendAsync(request, stop.Token);
                    if (response.StatusCode == HttpStatusCode.Created)
                        acknowledged[key] = (await response.Content.ReadFromJsonAsync<JsonObject>())!["processId"]!.GetValue<Guid>();
                }
                catch (Exception) when (stop.IsCancellationRequested || host.HasExited)
                {
                    return; // the host is gone: this command's fate is unknown to the client
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.That(acknowledged, Is.Not.Empty, "commands were acknowledged before the crash");
        host.Crash();
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        await using var restarted = rig.StartHost();
        await restarted.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var again = await FaultRig.ClientAsync(restarted, "coordinator");

        // Every acknowledged command is there exactly once.
        var found = 0;
        foreach (var (key, id) in acknowledged)
        {
            Assert.That(await rig.ScalarAsync("SELECT count(*) FROM processes WHERE reference = $1", key), Is.EqualTo(1), key);
            Assert.That(await rig.ScalarAsync("SELECT count(*) FROM processes WHERE id = $1", id), Is.EqualTo(1), key);
            found++;
        }
        var duplicated = await rig.ScalarAsync("SELECT count(*) FROM (SELECT reference FROM processes GROUP BY reference HAVING count(*) > 1) d");
        Assert.That(duplicated, Is.Zero);

        // Retries with the same key: the acknowledged ones get their original answer back; the others run once now.
        foreach (var key in sent)
        {
            using var request = FaultRig.StartRequest(key, idempotencyKey: key);
            using var response = await again.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.InRange(200, 201), key);
            var answer = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            if (acknowledged.TryGetValue(key, out var original))
            {
                Assert.That(answer["processId"]!.GetValue<Guid>(), Is.EqualTo(original), key);
                Assert.That(answer["replayed"]!.GetValue<bool>(), Is.True, key);
            }
        }
        Assert.That(await rig.ScalarAsync("SELECT count(*) FROM processes"), Is.EqualTo(sent.Count), "after the retries: every command exactly once");

        using var auditor = await FaultRig.ClientAsync(restarted, "auditor");
        var verification = await FaultRig.VerifyAuditAsync(auditor);
        Assert.That(verification["valid"]!.GetValue<bool>(), Is.True, verification.ToJsonString());
        FaultRig.Report($"crash: commands sent {sent.Count}, acknowledged {acknowledged.Count}, found {found}, duplicated {duplicated}; " +
            $"after retries {sent.Count} processes; audit valid over {verification["entriesChecked"]} entries ({run.Elapsed.TotalSeconds:0} s)");
    }
}
