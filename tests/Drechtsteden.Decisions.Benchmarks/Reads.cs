using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Npgsql;

namespace Drechtsteden.Decisions.Benchmarks;

/// <summary>b. Reads at the generated scale: the process resource, the process list, and the process page (HTML, signed in).</summary>
internal static partial class Reads
{
    /// <param name="measured">Called with true before and false after each kind's measured part (not its warm-up): for reading the CPU it cost.</param>
    /// <param name="tiering">The app's JIT CPU so far: the warm-up goes on while it grows (<see cref="Measure.SettleAsync"/>).</param>
    public static async Task<List<(string Name, LatencyStats Stats)>> RunAsync(Api api, NpgsqlDataSource data, TimeSpan duration, TimeSpan warmUp, Action<bool>? measured = null,
        Func<double>? tiering = null)
    {
        // Each kind of read is sent, unmeasured, for a moment first (JIT, query plans), then measured.
        async Task<LatencyStats> Warm(Func<int, Task<bool>> send)
        {
            await Measure.ClosedLoopAsync(8, warmUp, send);
            await Measure.SettleAsync(step => Measure.ClosedLoopAsync(8, step, send), tiering);
            measured?.Invoke(true);
            var stats = await Measure.ClosedLoopAsync(8, duration, send);
            measured?.Invoke(false);
            return stats;
        }
        var ids = await ProcessIdsAsync(data);
        // An administrator reads every process (the generated ones are in regions of their own).
        await api.TokenAsync("admin");
        var results = new List<(string, LatencyStats)>();
        results.Add(("GET /api/processes/{id}", await Warm(ResourceRead(api, ids))));
        results.Add(("GET /api/processes (list)", await Warm(async _ =>
        {
            using var request = await api.RequestAsync(HttpMethod.Get, "/api/processes", "admin");
            using var response = await api.Http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode;
        })));

        // The process page as the browser gets it: cookie sign-in through the form, then GET /processen/{id}.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false, MaxConnectionsPerServer = 64 }) { BaseAddress = api.Http.BaseAddress };
        var form = await browser.GetStringAsync(new Uri("/inloggen", UriKind.Relative));
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        using (var signIn = await browser.PostAsync(new Uri("/inloggen", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
               { ["__RequestVerificationToken"] = token, ["gebruikersnaam"] = "admin", ["wachtwoord"] = "demo", ["returnUrl"] = "/" })))
        {
            if (signIn.StatusCode != HttpStatusCode.Redirect)
                throw new InvalidOperationException($"Sign-in for the page benchmark failed: {signIn.StatusCode}");
        }
        results.Add(("GET /processen/{id} (page)", await Warm(async i =>
        {
            using var response = await browser.GetAsync(new Uri($"/processen/{ids[i % ids.Count]}", UriKind.Relative));
            await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode;
        })));
        return results;
    }

    /// <summary>The process resource alone (8 callers, after a warm-up), with the CPU each read cost (<paramref name="cpuSeconds"/>).</summary>
    public static async Task<(LatencyStats Stats, double CpuMilliseconds)> ResourceAsync(Api api, NpgsqlDataSource data, TimeSpan warmUp, TimeSpan duration, Func<double> cpuSeconds,
        Func<double>? tiering = null)
    {
        var ids = await ProcessIdsAsync(data);
        await api.TokenAsync("admin");
        var send = ResourceRead(api, ids);
        await Measure.ClosedLoopAsync(8, warmUp, send);
        await Measure.SettleAsync(step => Measure.ClosedLoopAsync(8, step, send), tiering);
        var start = cpuSeconds();
        var stats = await Measure.ClosedLoopAsync(8, duration, send);
        return (stats, (cpuSeconds() - start) * 1000 / Math.Max(1, stats.Count));
    }

    /// <summary>2,000 processes at random, the ones the reads ask for.</summary>
    private static async Task<List<Guid>> ProcessIdsAsync(NpgsqlDataSource data)
    {
        var ids = new List<Guid>();
        await using var command = data.CreateCommand("SELECT id FROM processes ORDER BY random() LIMIT 2000");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>GET /api/processes/{id} as an administrator, the i-th call on the i-th process (round robin).</summary>
    private static Func<int, Task<bool>> ResourceRead(Api api, List<Guid> ids) => async i =>
    {
        using var request = await api.RequestAsync(HttpMethod.Get, $"/api/processes/{ids[i % ids.Count]}", "admin");
        using var response = await api.Http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode;
    };

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

/// <summary>c. The app's verification of every chain against a plain binary COPY of the same rows (same ranges side by side, no hashing).</summary>
internal static class AuditSpeed
{
    public static async Task<(long Entries, double VerifySeconds, double PlainSeconds)> RunAsync(Api api, NpgsqlDataSource data, Action<string>? mark = null)
    {
        await api.TokenAsync("auditor");
        mark?.Invoke("verify");
        var stopwatch = Stopwatch.StartNew();
        var verification = await api.SendAsync(HttpMethod.Get, "/api/audit/verify", "auditor", slow: true);
        var verifySeconds = stopwatch.Elapsed.TotalSeconds;
        mark?.Invoke("verified");
        if (!verification["valid"]!.GetValue<bool>())
            throw new InvalidOperationException($"The audit trail does not verify: {verification}");
        var entries = verification["entriesChecked"]!.GetValue<long>();

        // The same rows (entries with their leaves, in chain order) with binary COPY, every value decoded, nothing
        // checked: in the same ranges of chains side by side as the verification, on as many connections.
        List<Guid> bounds;
        await using (var connection = await data.OpenConnectionAsync())
            bounds = await Drechtsteden.Decisions.Web.Audit.AuditVerifier.RangeBoundsAsync(connection, Drechtsteden.Decisions.Web.Audit.AuditVerifier.Ranges);
        mark?.Invoke("plain");
        stopwatch.Restart();
        var counts = await Task.WhenAll(Drechtsteden.Decisions.Web.Audit.AuditVerifier.RangeFilters(bounds).Select(where => Task.Run(() =>
        {
            using var connection = data.OpenConnection();
            using var export = connection.BeginBinaryExport($"""
                COPY (SELECT e.id, e.uuid, e.chain_id, e.chain_sequence, e.recorded_at, e.actor_id, e.actor_name, e.actor_role, e.actor_municipality, e.action,
                       e.resource, e.resource_id, e.resource_name, e.process_id, e.item_id, e.municipality_code, e.before, e.after, e.reason, e.status,
                       e.correlation_id, e.client_address, e.previous_hash, e.hash, e.tx::text::bigint, l.leaf_index, l.leaf_hash
                FROM audit_entries e LEFT JOIN audit_log l ON l.entry_id = e.id {where} ORDER BY e.chain_id, e.chain_sequence) TO STDOUT (FORMAT BINARY)
                """);
            // l = bigint, g = uuid, t = timestamptz, s = text, i = integer, b = bytea
            const string types = "lgglt" + "ssssssss" + "gg" + "ssss" + "i" + "ssss" + "llb";
            long rows = 0;
            while (export.StartRow() != -1)
            {
                foreach (var type in types)
                {
                    if (export.IsNull)
                    {
                        export.Skip();
                        continue;
                    }
                    _ = type switch
                    {
                        'l' => export.Read<long>(),
                        'g' => export.Read<Guid>(),
                        't' => export.Read<DateTimeOffset>(),
                        's' => export.Read<string>(),
                        'i' => export.Read<int>(),
                        _ => (object)export.Read<byte[]>(),
                    };
                }
                rows++;
            }
            return rows;
        })));
        var rows = counts.Sum();
        mark?.Invoke("read");
        return (entries, verifySeconds, stopwatch.Elapsed.TotalSeconds * entries / Math.Max(1, rows));
    }
}

internal sealed record TimerResult(int Due, int Fired, int Early, double P50, double P99, double Max);

/// <summary>d. Processes whose deadline falls within a window a little ahead: their deadline timers fire through Hangfire.</summary>
internal static class TimerLateness
{
    public static async Task<TimerResult> RunAsync(Api api, NpgsqlDataSource data, string municipality, int count, TimeSpan lead, TimeSpan window)
    {
        var first = DateTimeOffset.UtcNow + lead;
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var created = await Measure.ClosedLoopAsync(8, TimeSpan.FromHours(1), async i =>
        {
            var n = i % 1_000_000 * 8 + i / 1_000_000; // distinct per worker call
            if (ids.Count >= count)
                return true;
            var due = first + window * (ids.Count / (double)count);
            var answer = await api.SendAsync(HttpMethod.Post, "/api/processes", "coordinator", new
            {
                title = $"Timer {n}", reference = $"T-{Guid.NewGuid():N}"[..20], conceptText = "Het college besluit in te stemmen.", deadlineAt = due,
                participants = new[] { municipality },
            });
            ids.Add(answer["processId"]!.GetValue<Guid>());
            return true;
        }, () => ids.Count >= count);
        Console.WriteLine($"  {ids.Count} timer processes started ({created.PerSecond:0}/s); the last is due {(first + window - DateTimeOffset.UtcNow).TotalSeconds:0} s from now");
        var until = first + window + TimeSpan.FromSeconds(10);
        var list = ids.ToArray();
        List<(DateTime Due, DateTime? Fired, double? Lateness)> rows = [];
        while (true)
        {
            rows.Clear();
            await using var command = data.CreateCommand("""
                SELECT t.due_at, f.fired_at, f.lateness_milliseconds FROM timers t LEFT JOIN timer_firings f ON f.timer_id = t.id
                WHERE t.process_id = ANY($1) AND t.timer_id = 'deadline'
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = list });
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    rows.Add((reader.GetDateTime(0), reader.IsDBNull(1) ? null : reader.GetDateTime(1), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
            if (rows.All(r => r.Fired is not null) || DateTimeOffset.UtcNow > until)
                break;
            await Task.Delay(1000);
        }
        var lateness = rows.Where(r => r.Lateness is not null).Select(r => r.Lateness!.Value).ToList();
        var stats = LatencyStats.Of(lateness, 0, 1);
        return new TimerResult(rows.Count, lateness.Count, rows.Count(r => r.Fired < r.Due), stats.P50, stats.P99, stats.Max);
    }
}
