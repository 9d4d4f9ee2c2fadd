using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data.Embedded;
using Npgsql;

namespace Drechtsteden.Decisions.Benchmarks;

/// <summary>
/// One run, side by side: commands over HTTP under open-model load against two Npgsql baselines (B1 single-row
/// inserts, B2 the statements of a command by hand), reads, audit verification against a plain read, timer lateness,
/// and start-up time and memory. Prints a markdown table with every target as pass/fail and writes JSON.
/// </summary>
public static class Benchmark
{
    private sealed record Settings(bool Quick, int Municipalities, int Regions, int Processes, double CommandRate, TimeSpan CommandTime, TimeSpan ReadTime,
        int Timers, TimeSpan TimerWindow, TimeSpan TimerLead, TimeSpan BaselineTime, TimeSpan WarmUp, TimeSpan Soak);

    public static async Task<int> Main(string[] args)
    {
        var quick = args.Contains("--quick");
        int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var settings = quick
            ? new Settings(true, 40, 5, Option("--processes", 60), Option("--rate", 200), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(4), 200, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(Option("--warmup", 8)), TimeSpan.FromMinutes(Option("--soak", 0)))
            : new Settings(false, 342, 40, Option("--processes", 10_000), Option("--rate", 1000), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15), 1000, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(Option("--warmup", 30)), TimeSpan.FromMinutes(Option("--soak", 10)));
        var root = RepositoryRoot();
        var appDll = Path.Combine(root, "src", "Drechtsteden.Decisions.Web", "bin", "Release", "net10.0", "Drechtsteden.Decisions.Web.dll");
        if (!File.Exists(appDll))
        {
            await Console.Error.WriteLineAsync($"Build the app first (dotnet build -c Release): {appDll} is missing.");
            return 1;
        }
        var total = Stopwatch.StartNew();
        var results = new JsonObject { ["quick"] = quick, ["machine"] = Machine(), ["startedAt"] = DateTimeOffset.UtcNow.ToString("O") };
        var rows = new List<(string Area, string Measure, string Value, string Target, bool? Pass)>();

        // --keep leaves the cluster's folder behind; --data <folder> runs on such a folder again without generating (the
        // command phase of every run adds its processes to it).
        var keep = args.Contains("--keep");
        var reuse = Array.IndexOf(args, "--data") is var d and >= 0 && d + 1 < args.Length ? Path.GetFullPath(args[d + 1]) : null;
        var reused = reuse is not null && Directory.Exists(Path.Combine(reuse, "pgdata"));
        var dataDirectory = reuse ?? Path.Combine(Path.GetTempPath(), $"drechtsteden-bench-{Guid.NewGuid():N}");
        results["reusedData"] = reused;
        await using var cluster = EmbeddedPostgresCluster.Create(new EmbeddedPostgresOptions { DataDirectory = dataDirectory, Durable = true });
        await cluster.StartAsync();
        Console.WriteLine($"PostgreSQL on 127.0.0.1:{cluster.Port} (durable: fsync on), data in {cluster.ClusterDirectory}");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Benchmark",
            ["ConnectionStrings__Decisions"] = cluster.AppConnectionString,
            ["ConnectionStrings__DecisionsOwner"] = cluster.OwnerConnectionString,
            ["DemoData__Enabled"] = "true",
            ["Auth__TokenRequestsPerMinute"] = "100000",
            ["Mail__PickupDirectory"] = Path.Combine(dataDirectory, "mail"),
            // The audit log's key and the embedded witness (its own process) live in the run's folder.
            ["Database__Embedded__DataDirectory"] = dataDirectory,
            ["Logging__LogLevel__Default"] = "Warning",
            // The GC setting of the image (deploy/Dockerfile): a 32 MB gen-0 budget instead of the adaptive default.
            ["DOTNET_GCgen0size"] = "0x2000000",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        var app = new AppHost(appDll, environment);

        Console.WriteLine("Migrating and seeding the demo region...");
        await app.RunVerbAsync(TimeSpan.FromMinutes(2), "migrate");
        if (reused)
        {
            Console.WriteLine($"Reusing the data in {dataDirectory} (not generating).");
        }
        else
        {
            Console.WriteLine($"Generating {settings.Processes:N0} processes ({settings.Municipalities} municipalities, {settings.Regions} regions, seed 1)...");
            var generated = await app.RunVerbAsync(TimeSpan.FromHours(3), "generate", "--municipalities", $"{settings.Municipalities}", "--regions", $"{settings.Regions}",
                "--processes", $"{settings.Processes}", "--seed", "1");
            Console.Write(generated.Split('\n').Where(l => l.StartsWith("Done", StringComparison.Ordinal) || l.StartsWith("Reference", StringComparison.Ordinal)).Aggregate("", (a, l) => a + "  " + l + "\n"));
        }

        // e. Footprint: start to ready on an initialised cluster.
        var ready = await app.StartAsync();
        rows.Add(("e. footprint", "start to ready", $"{ready.TotalSeconds:0.00} s", "≤ 5 s", ready.TotalSeconds <= 5));
        results["readySeconds"] = ready.TotalSeconds;

        await using var data = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { MaxPoolSize = 64 }.ConnectionString);
        using var api = new Api(app.BaseUrl);

        // c. The transparency log takes in what was generated before the app ran (in the background, as after an upgrade).
        var catchUpCpuStart = CpuSeconds(app.Pid);
        var (logged, catchUp) = await LogCatchUpAsync(data);
        // The CPU the machine spent while the log took the entries in (app, witness, PostgreSQL; the app's own start-up
        // residue included, so an upper bound of the log's work per entry).
        var logCpuPerEntry = (CpuSeconds(app.Pid) - catchUpCpuStart) * 1000 / Math.Max(1, logged);
        results["logCatchUp"] = new JsonObject { ["entries"] = logged, ["seconds"] = catchUp.TotalSeconds, ["cpuMsPerEntry"] = logCpuPerEntry };
        rows.Add(("c. audit", $"transparency log takes in {logged:N0} existing entries", $"{catchUp.TotalSeconds:0.0} s ({logged / Math.Max(0.001, catchUp.TotalSeconds):N0}/s), at most {logCpuPerEntry * 1000:0} µs CPU per entry", "", null));
        var municipalities = (await api.SendAsync(HttpMethod.Get, "/api/municipalities", "coordinator")).AsArray()
            .Select(m => (Code: m!["code"]!.GetValue<string>(), Name: m["name"]!.GetValue<string>())).Where(m => m.Code.CompareTo("GM2000") < 0).ToList();

        // --compare: an A-B-A-B-A of one change instead of the full run — "A" this build as configured, "B" with
        // --compare-env NAME=VALUE[,NAME=VALUE] added to its environment or another build's dll (--compare-app path);
        // each further --compare-env is a variant C, D, … (rounds A B C A B C A). Each round restarts the app, warms it
        // up, and measures command capacity with the CPU per command (app, witness, PostgreSQL) and the process resource
        // read with its CPU per read: CPU per operation is what a busy neighbour on the machine disturbs least.
        if (args.Contains("--compare"))
        {
            await app.DisposeAsync();
            var variantDll = Array.IndexOf(args, "--compare-app") is var ca and >= 0 ? Path.GetFullPath(args[ca + 1]) : appDll;
            var variants = new List<(string Label, string Dll, Dictionary<string, string> Environment, string Description)> { ("A", appDll, environment, "as built") };
            var envOptions = args.Select((a, i) => (a, i)).Where(p => p.a == "--compare-env").Select(p => args[p.i + 1]).DefaultIfEmpty("").ToList();
            foreach (var option in envOptions)
            {
                var variantEnvironment = new Dictionary<string, string>(environment);
                foreach (var pair in option.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    variantEnvironment[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
                variants.Add(($"{(char)('A' + variants.Count)}", variantDll, variantEnvironment, $"{(variantDll == appDll ? "" : variantDll + " ")}{option}"));
            }
            var figures = variants.ToDictionary(v => v.Label, _ => new List<(double Rate, double CpuCommand, double ReadRate, double ReadP95, double CpuRead)>());
            var rounds = Enumerable.Repeat(variants, 2).SelectMany(v => v).Append(variants[0]).ToList();
            foreach (var (label, dll, variantEnvironment, _) in rounds)
            {
                await using var host = new AppHost(dll, variantEnvironment);
                await host.StartAsync();
                using var roundApi = new Api(host.BaseUrl);
                (double App, double PostgreSql, double Harness) cpuStart = default, cpuEnd = default;
                var (_, measured) = await Commands.RunAsync(roundApi, municipalities, settings.CommandRate, TimeSpan.FromSeconds(1), settings.WarmUp, TimeSpan.FromSeconds(quick ? 10 : 20),
                    start => { if (start) cpuStart = CpuSplit(host.Pid); else cpuEnd = CpuSplit(host.Pid); }, () => TieringCpuSeconds(host.Pid));
                double PerCommand(double seconds) => seconds * 1000 / Math.Max(1, measured.Count);
                var cpuCommand = PerCommand(cpuEnd.App - cpuStart.App + cpuEnd.PostgreSql - cpuStart.PostgreSql);
                var (read, cpuRead) = await Reads.ResourceAsync(roundApi, data, settings.WarmUp, TimeSpan.FromSeconds(quick ? 8 : 15), () => CpuSeconds(host.Pid), () => TieringCpuSeconds(host.Pid));
                figures[label].Add((measured.PerSecond, cpuCommand, read.PerSecond, read.P95, cpuRead));
                Console.WriteLine($"  {label}: commands {measured.PerSecond:0}/s, {cpuCommand:0.00} ms CPU each (app and witness {PerCommand(cpuEnd.App - cpuStart.App):0.00}, "
                    + $"PostgreSQL {PerCommand(cpuEnd.PostgreSql - cpuStart.PostgreSql):0.00}); resource reads {read.PerSecond:0}/s, p95 {read.P95:0.0} ms, {cpuRead:0.00} ms CPU each");
            }
            string Mean(string label, Func<(double Rate, double CpuCommand, double ReadRate, double ReadP95, double CpuRead), double> pick) =>
                figures[label].Average(pick).ToString("0.00", CultureInfo.InvariantCulture);
            Console.WriteLine("  | | variant | commands/s | CPU ms/command | reads/s | read p95 ms | CPU ms/read |");
            foreach (var (label, _, _, description) in variants)
                Console.WriteLine($"  | {label} | {description} | {Mean(label, f => f.Rate)} | {Mean(label, f => f.CpuCommand)} | {Mean(label, f => f.ReadRate)} | {Mean(label, f => f.ReadP95)} | {Mean(label, f => f.CpuRead)} |");
            if (!keep && !reused)
                try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return 0;
        }

        // --audit-only N: the verification against the plain COPY only, N times in turn (for measuring a change to it);
        // with --compare-app <dll> N rounds of A (this build) and B (that build), each on a freshly started app whose
        // first verification warms it up and is not counted.
        if (Array.IndexOf(args, "--audit-only") is var ao and >= 0)
        {
            var times = ao + 1 < args.Length && int.TryParse(args[ao + 1], out var n) ? n : 3;
            async Task MeasureAsync(string label, Api on, int pid)
            {
                var marks = new Dictionary<string, (double App, double PostgreSql, double Harness)>();
                var (checkedEntries, verifyTime, plainTime) = await AuditSpeed.RunAsync(on, data, name => marks[name] = CpuSplit(pid));
                string Cpu(string from, string to) =>
                    $"app {marks[to].App - marks[from].App:0.00} s, PostgreSQL {marks[to].PostgreSql - marks[from].PostgreSql:0.00} s, harness {marks[to].Harness - marks[from].Harness:0.00} s";
                Console.WriteLine($"  {label}verify {checkedEntries:N0} entries: {checkedEntries / verifyTime:N0}/s in {verifyTime:0.00} s (CPU {Cpu("verify", "verified")}); "
                    + $"plain COPY {checkedEntries / plainTime:N0}/s in {plainTime:0.00} s (CPU {Cpu("plain", "read")}); ratio {plainTime / verifyTime:P0}");
            }
            if (Array.IndexOf(args, "--compare-app") is var cmp and >= 0)
            {
                await app.DisposeAsync();
                for (var i = 0; i < times; i++)
                {
                    foreach (var (label, dll) in new[] { ("A ", appDll), ("B ", Path.GetFullPath(args[cmp + 1])) })
                    {
                        await using var host = new AppHost(dll, environment);
                        await host.StartAsync();
                        using var roundApi = new Api(host.BaseUrl);
                        await AuditSpeed.RunAsync(roundApi, data);
                        await MeasureAsync(label, roundApi, host.Pid);
                    }
                }
            }
            else
            {
                for (var i = 0; i < times; i++)
                    await MeasureAsync("", api, app.Pid);
                await app.DisposeAsync();
            }
            if (!keep && !reused)
                try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return 0;
        }

        // --soak-only M: the soak only — M minutes at --soak-rate R commands/s (default 300), after a soak of --warmup
        // seconds at the same rate (what a first command, read or collection sets up is not growth), with the live heap
        // at rest induced before and after; --gcdump also writes a dotnet-gcdump of the app at both points into the data
        // folder (the tool from ~/.dotnet/tools or PATH), to compare by type what grew; --heapdump a dump with the whole heap
        // instead (dotnet-dump), to ask it what holds what grew.
        if (Array.IndexOf(args, "--soak-only") is var so and >= 0)
        {
            var minutes = double.Parse(args[so + 1], CultureInfo.InvariantCulture);
            var rate = Option("--soak-rate", 300);
            async Task DumpAsync(string name)
            {
                // --heapdump: a dump with the whole heap (dotnet-dump), to ask what holds an object (gcroot).
                var full = args.Contains("--heapdump");
                if (!args.Contains("--gcdump") && !full)
                    return;
                var name2 = full ? "dotnet-dump" : "dotnet-gcdump";
                var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", name2);
                var file = Path.Combine(dataDirectory, $"soak-{name}-{DateTime.UtcNow:HHmmss}.{(full ? "dmp" : "gcdump")}");
                using var dump = System.Diagnostics.Process.Start(File.Exists(tool) ? tool : name2,
                    full ? ["collect", "-p", $"{app.Pid}", "-o", file, "--type", "Heap"] : ["collect", "-p", $"{app.Pid}", "-o", file])!;
                await dump.WaitForExitAsync();
                Console.WriteLine($"  gcdump {name}: {file} (exit {dump.ExitCode})");
            }
            await Commands.SoakAsync(api, municipalities, rate, settings.WarmUp, () => Task.CompletedTask);
            await Task.Delay(Rest);
            var before = await InducedHeapAsync(api, app.Pid);
            await DumpAsync("before");
            var soak = await Commands.SoakAsync(api, municipalities, rate, TimeSpan.FromMinutes(minutes), () => Task.CompletedTask);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var drained = await InducedHeapAsync(api, app.Pid);
            await Task.Delay(Rest - TimeSpan.FromSeconds(5));
            var after = await InducedHeapAsync(api, app.Pid);
            await DumpAsync("after");
            Console.WriteLine($"  soak {minutes:0.#} min at {rate}/s: served {soak.PerSecond:0}/s, {soak.Errors} errors, p99 {soak.P99:0.0} ms; "
                + $"live heap {before.Megabytes:0.0} MB at rest before, {drained.Megabytes:0.0} MB 5 s after, at rest after {before.Megabytes:0.0} → {after.Megabytes:0.0} MB ({after.Megabytes / before.Megabytes - 1:+0.0%;-0.0%})"
                + (before.Induced && after.Induced ? "" : " — a collection could not be induced"));
            return 0;
        }

        // --reads-only N: the three reads only, N rounds, with the CPU per read of the app, PostgreSQL and the harness;
        // with --compare-app <dll> N rounds of A (this build) and B (that build), each on a freshly started app.
        if (Array.IndexOf(args, "--reads-only") is var ro and >= 0)
        {
            var times = ro + 1 < args.Length && int.TryParse(args[ro + 1], out var n) ? n : 3;
            async Task MeasureAsync(string label, Api on, int pid)
            {
                var marks = new List<(double App, double PostgreSql, double Harness)>();
                var jit = new List<double>();
                // The measured parts' start and end, with the time (for a profiler started on them, e.g. perf record).
                var reads = await Reads.RunAsync(on, data, settings.ReadTime, settings.WarmUp, start =>
                {
                    marks.Add(CpuSplit(pid));
                    jit.Add(TieringCpuSeconds(pid));
                    Console.WriteLine($"  {label}{(start ? "measuring" : "measured")} at {DateTime.UtcNow:HH:mm:ss}");
                }, () => TieringCpuSeconds(pid));
                for (var i = 0; i < reads.Count; i++)
                {
                    var (name, stats) = reads[i];
                    var (from, to) = (marks[2 * i], marks[2 * i + 1]);
                    double Per(double seconds) => seconds * 1000 / Math.Max(1, stats.Count);
                    Console.WriteLine($"  {label}{name}: p50 / p95 / p99 {stats.P50:0.0} / {stats.P95:0.0} / {stats.P99:0.0} ms, {stats.PerSecond:0}/s ({stats.Errors} errors); "
                        + $"CPU per read: app {Per(to.App - from.App):0.00} ms (of which the JIT's tiering thread {Per(jit[2 * i + 1] - jit[2 * i]):0.00} ms), PostgreSQL {Per(to.PostgreSql - from.PostgreSql):0.00} ms, harness {Per(to.Harness - from.Harness):0.00} ms");
                }
            }
            await app.DisposeAsync();
            // B: another build (--compare-app <dll>) and/or more environment (--compare-env NAME=VALUE[,NAME=VALUE]).
            var builds = new List<(string Label, string Dll, Dictionary<string, string> Environment)> { ("", appDll, environment) };
            var otherDll = Array.IndexOf(args, "--compare-app") is var cmp and >= 0 ? Path.GetFullPath(args[cmp + 1]) : null;
            var otherEnvironment = Array.IndexOf(args, "--compare-env") is var ce and >= 0 ? args[ce + 1] : null;
            if (otherDll is not null || otherEnvironment is not null)
            {
                var variant = new Dictionary<string, string>(environment);
                foreach (var pair in (otherEnvironment ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
                    variant[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
                builds = [("A ", appDll, environment), ("B ", otherDll ?? appDll, variant)];
            }
            for (var i = 0; i < times; i++)
            {
                foreach (var (label, dll, variantEnvironment) in builds)
                {
                    await using var host = new AppHost(dll, variantEnvironment);
                    await host.StartAsync();
                    using var roundApi = new Api(host.BaseUrl);
                    Console.WriteLine($"  {label}app pid {host.Pid}");
                    await MeasureAsync(label, roundApi, host.Pid);
                    Console.WriteLine($"  {label}resident memory after the reads {host.ResidentMegabytes():0} MB: {await MemoryPartsAsync(roundApi, host)}");
                }
            }
            if (!keep && !reused)
                try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return 0;
        }

        // Baselines first, on the same server, with the app's connection settings (its statements are prepared on their
        // connection, Database:MaxAutoPrepare = 64, and a connection taken from the pool is not reset, Database:ResetOnClose
        // = false): the same advantages for the hand-written code.
        await using var baselineData = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { MaxPoolSize = 64, MaxAutoPrepare = 64, NoResetOnClose = true }.ConnectionString);
        var b1 = await Baselines.SingleRowInsertsAsync(baselineData, settings.BaselineTime);
        var b2 = await Baselines.CommandStatementsAsync(baselineData, settings.BaselineTime);
        var b3 = await Baselines.CommandBatchAsync(baselineData, settings.BaselineTime);
        results["b1"] = Json(b1);
        results["b2"] = Json(b2);
        results["b3"] = Json(b3);
        // The baselines' tables go again: a kept cluster (--keep, --data) is migrated by the app's owner, who may not grant on them.
        await using (var drop = baselineData.CreateCommand("DROP TABLE IF EXISTS bench_b1, bench_process, bench_item, bench_child, bench_meeting, bench_audit, bench_timer"))
            await drop.ExecuteNonQueryAsync();

        // a. Commands over HTTP: schedule and record decision, open model.
        var sessionsBefore = await SessionsAsync(data);
        var (commands, capacity) = await Commands.RunAsync(api, municipalities, settings.CommandRate, settings.CommandTime, settings.WarmUp, settings.BaselineTime,
            tiering: () => TieringCpuSeconds(app.Pid));
        var sessions = await SessionsAsync(data) - sessionsBefore;
        results["sessionsOpenedDuringCommands"] = sessions;
        Console.WriteLine($"  database sessions opened during the command phase: {sessions}");
        results["commands"] = Json(commands);
        results["commandCapacity"] = Json(capacity);
        var ofB2 = capacity.PerSecond / b2.PerSecond;
        rows.Add(("a. commands", "capacity, 16 callers in a closed loop (as B2)", $"{capacity.PerSecond:0}/s, p99 {capacity.P99:0.0} ms ({capacity.Errors} errors)", "", null));
        rows.Add(("a. commands", $"open model at half the capacity ({capacity.PerSecond / 2:0}/s offered): served", $"{commands.PerSecond:0}/s ({commands.Errors} errors)", "all, 0 errors",
            commands.PerSecond >= capacity.PerSecond / 2 * 0.95 && commands.Errors == 0));
        rows.Add(("a. commands", "open model at half the capacity: latency p50 / p95 / p99", $"{commands.P50:0.0} / {commands.P95:0.0} / {commands.P99:0.0} ms", "p99 ≤ 50 ms", commands.P99 <= 50));
        rows.Add(("a. commands", "B1 raw single-row inserts (16 conns)", $"{b1.PerSecond:0}/s, p99 {b1.P99:0.0} ms", "", null));
        rows.Add(("a. commands", "B2 a command's statements by hand (16 conns)", $"{b2.PerSecond:0}/s, p99 {b2.P99:0.0} ms", "", null));
        rows.Add(("a. commands", "B3 the least a command needs: one batch and a commit, 2 round trips (16 conns)", $"{b3.PerSecond:0}/s, p99 {b3.P99:0.0} ms", "", null));
        var ofB3 = capacity.PerSecond / b3.PerSecond;
        var b2Target = quick ? 0.6 : 0.5;
        rows.Add(("a. commands", "capacity / B2", $"{ofB2:P0}", $"≥ {b2Target:P0}", ofB2 >= b2Target));
        rows.Add(("a. commands", "capacity / B3", $"{ofB3:P0}", "", null));

        // b. Reads.
        // Each kind of read warms up as long as the commands did (JIT tiering settles per code path: a server runs for days).
        var reads = await Reads.RunAsync(api, data, settings.ReadTime, settings.WarmUp, tiering: () => TieringCpuSeconds(app.Pid));
        foreach (var (name, stats) in reads)
        {
            results[$"read-{name}"] = Json(stats);
            // Issue 19's targets: the resource 10 ms, the list 15 ms, the page 20 ms (p95, 8 callers).
            var target = name.Contains("(list)", StringComparison.Ordinal) ? 15 : name.Contains("(page)", StringComparison.Ordinal) ? 20 : 10;
            rows.Add(("b. reads", $"{name} p50 / p95 / p99", $"{stats.P50:0.0} / {stats.P95:0.0} / {stats.P99:0.0} ms ({stats.PerSecond:0}/s)", $"p95 ≤ {target} ms", stats.P95 <= target));
        }
        var memory = app.ResidentMegabytes();
        var memoryParts = await MemoryPartsAsync(api, app);
        Console.WriteLine($"  resident memory after the reads {memory:0} MB: {memoryParts}");
        results["residentParts"] = memoryParts;

        // c. Audit verification against reading the same rows.
        var (entries, verifySeconds, plainSeconds) = await AuditSpeed.RunAsync(api, data);
        var verifyRate = entries / verifySeconds;
        var plainRate = entries / plainSeconds;
        results["audit"] = new JsonObject { ["entries"] = entries, ["verifyPerSecond"] = verifyRate, ["plainReadPerSecond"] = plainRate };
        rows.Add(("c. audit", $"verify {entries:N0} entries (chains, leaves, tree, decisions; binary COPY in ranges side by side)", $"{verifyRate:N0}/s", "≥ 400,000/s", verifyRate >= 400_000));
        rows.Add(("c. audit", "verify / plain binary COPY of the same rows (same ranges)", $"{verifyRate / plainRate:P0} (plain {plainRate:N0}/s)", "≥ 80 %", verifyRate / plainRate >= 0.8));

        // d. Timers.
        var timers = await TimerLateness.RunAsync(api, data, municipalities[0].Code, settings.Timers, settings.TimerLead, settings.TimerWindow);
        results["timers"] = JsonSerializer.SerializeToNode(timers);
        rows.Add(("d. timers", $"{timers.Due} due within {settings.TimerWindow.TotalSeconds:0} s: fired / early / missing", $"{timers.Fired} / {timers.Early} / {timers.Due - timers.Fired}", "0 early", timers.Early == 0 && timers.Fired == timers.Due));
        rows.Add(("d. timers", "lateness p50 / p99", $"{timers.P50:0} / {timers.P99:0} ms", "p99 ≤ 2 s", timers.P99 <= 2000));

        rows.Add(("e. footprint", "resident memory after the reads", $"{memory:0} MB", "≤ 300 MB", memory <= 300));
        results["residentMegabytes"] = memory;

        // e. The soak: commands at half the capacity for minutes; the managed heap after the last collection is read from
        // the app (its readiness details, as an administrator) every 30 s; the first and last minute's medians compared.
        if (settings.Soak > TimeSpan.Zero)
        {
            // The heap after the last full (gen-2) collection: with the workstation GC the heap after the last collection
            // of any kind is mostly how much gen-0 garbage that collection left in older generations.
            var heap = new List<(double Seconds, double Megabytes, double Resident, long FullCollections)>();
            var soakWatch = Stopwatch.StartNew();
            async Task Sample()
            {
                var data = await MemoryCheckAsync(api);
                var full = data["heapAfterLastFullCollectionBytes"]!.GetValue<long>();
                heap.Add((soakWatch.Elapsed.TotalSeconds, (full > 0 ? full : data["heapAfterLastCollectionBytes"]!.GetValue<long>()) / 1048576.0,
                    data["residentBytes"]!.GetValue<long>() / 1048576.0, data["collections"]![2]!.GetValue<long>()));
            }
            // The comparison that decides: the live heap at rest before and after the soak, each read right after a full
            // blocking collection the harness induces itself (EventPipe, as dotnet-gcdump does) — not after whichever
            // collection the app last happened to run, which measures what was live at that moment.
            // Both at rest: 90 s after the last load, time for the app's pools to give back what a burst made (idle
            // connections after Database:ConnectionIdleSeconds, Kestrel's memory blocks, idle pool threads); the heap
            // 5 s after the soak is shown beside it.
            await Task.Delay(Rest);
            var before = await InducedHeapAsync(api, app.Pid);
            await Sample();
            var soakRate = Math.Max(1, capacity.PerSecond / 2);
            var soak = await Commands.SoakAsync(api, municipalities, soakRate, settings.Soak, Sample);
            await Sample();
            await Task.Delay(TimeSpan.FromSeconds(5)); // the last answers and their work drain
            var drained = await InducedHeapAsync(api, app.Pid);
            await Task.Delay(Rest - TimeSpan.FromSeconds(5));
            var after = await InducedHeapAsync(api, app.Pid);
            double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
            // "Where it started" is the live heap under the soak's own load: the samples after the soak's first full
            // collection (before it, the figure is what the reads and timers before the soak left). Without two full
            // collections during the soak there is nothing to compare, and the row says so.
            var during = heap.Where(h => h.FullCollections > heap[0].FullCollections).ToList();
            var decided = during.Count >= 2 && during[^1].FullCollections > during[0].FullCollections;
            var first = decided ? Median(during.Where(h => h.Seconds <= during[0].Seconds + 90).Select(h => h.Megabytes)) : heap[0].Megabytes;
            var last = decided ? Median(during.Where(h => h.Seconds >= heap[^1].Seconds - 90 && h.FullCollections > during[0].FullCollections).DefaultIfEmpty(during[^1]).Select(h => h.Megabytes)) : heap[^1].Megabytes;
            results["soak"] = new JsonObject
            {
                ["minutes"] = settings.Soak.TotalMinutes, ["rate"] = soakRate, ["load"] = Json(soak),
                ["heap"] = new JsonArray(heap.Select(h => (JsonNode?)new JsonObject { ["s"] = h.Seconds, ["heapMb"] = h.Megabytes, ["residentMb"] = h.Resident, ["gen2"] = h.FullCollections }).ToArray()),
            };
            rows.Add(("e. footprint", $"soak: {settings.Soak.TotalMinutes:0} min at {soakRate:0}/s (half the capacity), served / errors / p99",
                $"{soak.PerSecond:0}/s / {soak.Errors} / {soak.P99:0.0} ms", "", null));
            results["soak"]!["induced"] = new JsonObject
            {
                ["beforeMb"] = before.Megabytes, ["afterMb"] = after.Megabytes, ["drainedMb"] = drained.Megabytes, ["inducedBefore"] = before.Induced, ["inducedAfter"] = after.Induced,
            };
            rows.Add(("e. footprint", "soak: live heap 5 s after the soak (a full collection the harness induces), against before it",
                $"{before.Megabytes:0.0} → {drained.Megabytes:0.0} MB ({drained.Megabytes / before.Megabytes - 1:+0.0%;-0.0%})", "", null));
            rows.Add(("e. footprint", $"soak: live heap at rest ({Rest.TotalSeconds:0} s after the load) after a full collection the harness induces, before → after the soak",
                $"{before.Megabytes:0.0} → {after.Megabytes:0.0} MB ({after.Megabytes / before.Megabytes - 1:+0.0%;-0.0%})"
                    + (before.Induced && after.Induced ? "" : " — a collection could not be induced: undecided"), "within 10 %",
                before.Induced && after.Induced ? Math.Abs(after.Megabytes / before.Megabytes - 1) <= 0.10 : null));
            rows.Add(("e. footprint", "soak: managed heap after the app's own last full collection, from the soak's first full collection's 90 s to the last 90 s (medians of samples every 30 s)",
                $"{first:0.0} → {last:0.0} MB ({last / first - 1:+0.0%;-0.0%}; {heap[^1].FullCollections - heap[0].FullCollections} full collections during the soak; before it {heap[0].Megabytes:0.0} MB), resident {heap[0].Resident:0} → {heap[^1].Resident:0} MB"
                    + (decided ? "" : " — fewer than two full collections during the soak"), "", null));
        }

        // a. What the transparency log and the witness cost: capacity with them on, off, on again (A-B-A, the same
        // short measurement each time, the app restarted in between), so drift of the machine falls on both sides.
        // --skip-log-cost leaves out the A-B-A of the transparency log (issue 17's measurement, ≈ 8 minutes at full size).
        if (!args.Contains("--skip-log-cost"))
        {
            var costTime = TimeSpan.FromSeconds(quick ? 15 : 20);
            long entriesCounted = 0, commandsCounted = 0;
            // Besides the rate, the CPU the commands cost (the app, its witness and PostgreSQL), which a busy neighbour on the
            // machine slows but does not add to.
            var cpuPerCommand = new Dictionary<string, List<double>> { ["on"] = [], ["off"] = [] };
            var idleCpu = new Dictionary<string, List<double>> { ["on"] = [], ["off"] = [] };
            var rates = new Dictionary<string, List<double>> { ["on"] = [], ["off"] = [] };

            async Task<double> CapacityAsync(AppHost host, string label)
            {
                using var costApi = new Api(host.BaseUrl);
                double cpuStart = 0, cpuEnd = 0;
                // The same warm-up as the main phase (a restarted app's JIT must settle before it is measured).
                var (_, measured) = await Commands.RunAsync(costApi, municipalities, settings.CommandRate, TimeSpan.FromSeconds(2), settings.WarmUp, costTime,
                    start =>
                    {
                        if (start)
                            cpuStart = CpuSeconds(host.Pid);
                        else
                            cpuEnd = CpuSeconds(host.Pid);
                        using var countEntries = data.CreateCommand("SELECT count(*) FROM audit_entries");
                        entriesCounted += (start ? -1 : 1) * (long)countEntries.ExecuteScalar()!;
                    }, () => TieringCpuSeconds(host.Pid));
                commandsCounted += measured.Count;
                var perCommand = (cpuEnd - cpuStart) * 1000 / Math.Max(1, measured.Count);
                cpuPerCommand[label].Add(perCommand);
                // The same processes at rest for a few seconds: the log's fixed work (its rounds, the witness) shows here alone.
                await Task.Delay(TimeSpan.FromSeconds(2));
                var idleStart = CpuSeconds(host.Pid);
                var idleWatch = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(6));
                idleCpu[label].Add((CpuSeconds(host.Pid) - idleStart) * 1000 / idleWatch.Elapsed.TotalSeconds);
                rates[label].Add(measured.PerSecond);
                Console.WriteLine($"  capacity with the log {label}: {measured.PerSecond:0}/s, {perCommand:0.00} ms CPU per command (app, witness, PostgreSQL)");
                return measured.PerSecond;
            }
            // On, off, on, off, on: every "off" between two "on"s, so a machine that speeds up or slows down during the
            // measurement weighs on both sides.
            var ons = new List<double> { await CapacityAsync(app, "on") };
            var offs = new List<double>();
            for (var cycle = 0; cycle < 2; cycle++)
            {
                await app.DisposeAsync();
                app = new AppHost(appDll, new Dictionary<string, string>(environment) { ["Audit__Log__Enabled"] = "false" });
                await app.StartAsync();
                offs.Add(await CapacityAsync(app, "off"));
                await app.DisposeAsync();
                app = new AppHost(appDll, environment);
                await app.StartAsync();
                ons.Add(await CapacityAsync(app, "on"));
            }
            var on = ons.Average();
            var off = offs.Average();
            // The log's own work, measured rather than read from the difference of two noisy rates: its work per entry (the
            // catch-up above) times the entries a command writes, plus its fixed work at rest (on minus off) spread over the
            // commands of a second at the measured rate — against a command's CPU with the log off.
            var entriesPerCommand = (double)entriesCounted / Math.Max(1, commandsCounted);
            var idleMore = Math.Max(0, idleCpu["on"].Average() - idleCpu["off"].Average());
            var logWork = logCpuPerEntry * entriesPerCommand + idleMore / Math.Max(1, rates["on"].Average());
            var logShare = logWork / cpuPerCommand["off"].Average();
            results["logWork"] = new JsonObject
            {
                ["cpuMsPerEntry"] = logCpuPerEntry, ["entriesPerCommand"] = entriesPerCommand, ["idleOnMsPerSecond"] = idleCpu["on"].Average(),
                ["idleOffMsPerSecond"] = idleCpu["off"].Average(), ["msPerCommand"] = logWork, ["share"] = logShare,
            };
            rows.Add(("a. commands", "the log's and witness's own CPU per command (per entry × entries per command + the on-minus-off CPU of the 6 s after each run ÷ rate)",
                $"{logCpuPerEntry * 1000:0} µs × {entriesPerCommand:0.00} + {idleMore:0.0} ms/s (after the runs: on {idleCpu["on"].Average():0}, off {idleCpu["off"].Average():0} ms CPU per s) ÷ {rates["on"].Average():0}/s = {logWork * 1000:0} µs = {logShare:P1} of a command's {cpuPerCommand["off"].Average():0.00} ms",
                "≤ 5 %", logShare <= 0.05));
            var cost = 1 - on / off;
            // When the "on" runs differ among themselves more than twice the target, the machine's drift is larger than the
            // cost and the run cannot tell: no pass or fail then, only the figures.
            var spread = (ons.Max() - ons.Min()) / on;
            var cpuOn = cpuPerCommand["on"].Average();
            var cpuOff = cpuPerCommand["off"].Average();
            var cpuCost = cpuOn / cpuOff - 1;
            rows.Add(("a. commands", "CPU per command with log and witness on / off", $"{cpuOn:0.00} / {cpuOff:0.00} ms: {cpuCost:P1} more", "≤ 5 % more", cpuCost <= 0.05));
            results["logCpu"] = new JsonObject { ["onMs"] = cpuOn, ["offMs"] = cpuOff, ["more"] = cpuCost };
            results["logCost"] = new JsonObject
            {
                ["on"] = new JsonArray(ons.Select(v => (JsonNode?)v).ToArray()), ["off"] = new JsonArray(offs.Select(v => (JsonNode?)v).ToArray()),
                ["lower"] = cost, ["spread"] = spread,
            };
            rows.Add(("a. commands", "capacity with log and witness on / off (on, off, on, off, on)",
                $"{string.Join(" / ", ons.Zip(offs.Append(double.NaN)).SelectMany(p => double.IsNaN(p.Second) ? new[] { p.First } : new[] { p.First, p.Second }).Select(v => v.ToString("0", CultureInfo.InvariantCulture)))} per s: on {cost:P1} lower"
                    + (spread > 0.10 ? $" (the 'on' runs differ by {spread:P0} among themselves: noise larger than the cost, undecided)" : ""),
                "≤ 5 % lower", spread > 0.10 ? null : cost <= 0.05));
        }
        results["seconds"] = total.Elapsed.TotalSeconds;

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Benchmark {(quick ? "(--quick)" : "(full)")} on {results["machine"]!["cpu"]} ({Environment.ProcessorCount} cores), {DateTimeOffset.UtcNow:yyyy-MM-dd}, {total.Elapsed.TotalSeconds:0} s");
        table.AppendLine();
        table.AppendLine("| Area | Measure | Result | Target | |");
        table.AppendLine("|---|---|---|---|---|");
        foreach (var row in rows)
            table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Area} | {row.Measure} | {row.Value} | {row.Target} | {(row.Pass is null ? "" : row.Pass.Value ? "pass" : "**fail**")} |");
        Console.WriteLine();
        Console.WriteLine(table);
        var outDirectory = Path.Combine(root, "artifacts", "benchmarks");
        Directory.CreateDirectory(outDirectory);
        results["table"] = table.ToString();
        var file = Path.Combine(outDirectory, quick ? "latest-quick.json" : "latest.json");
        await File.WriteAllTextAsync(file, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        await File.WriteAllTextAsync(Path.ChangeExtension(file, ".md"), table.ToString());
        Console.WriteLine($"Written: {file}");
        await app.DisposeAsync();
        if (keep || reused)
            Console.WriteLine($"Data kept in {dataDirectory} (run again on it with --data {dataDirectory}).");
        else
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return 0;
    }

    /// <summary>
    /// CPU seconds used so far by the app, its child processes (the witness) and every PostgreSQL process (the harness
    /// runs nothing else on the server), from /proc (clock ticks of 1/100 s).
    /// </summary>
    private static double CpuSeconds(int appPid)
    {
        var (app, postgreSql, _) = CpuSplit(appPid);
        return app + postgreSql;
    }

    /// <summary>The app's memory details: the data of the "memory" check of its readiness, read as an administrator.</summary>
    private static async Task<JsonNode> MemoryCheckAsync(Api api) =>
        (await api.SendAsync(HttpMethod.Get, "/health/ready", "admin"))["checks"]!.AsArray().First(c => c!["name"]!.GetValue<string>() == "memory")!["data"]!;

    /// <summary>What the app's resident memory is made of, and the managed heap and the GC's committed memory in it.</summary>
    private static async Task<string> MemoryPartsAsync(Api api, AppHost app)
    {
        var data = await MemoryCheckAsync(api);
        return $"{app.ResidentBreakdown()}; managed heap {data["heapAfterLastCollectionBytes"]!.GetValue<long>() / 1048576.0:0} MB, "
            + $"committed by the GC {data["committedBytes"]!.GetValue<long>() / 1048576.0:0} MB";
    }

    /// <summary>
    /// Induces a full blocking collection in the app — an EventPipe session with the runtime's GC-heap-collect keyword
    /// (0x800000), what dotnet-gcdump does — and reads the heap after it from the app's readiness details. Induced is
    /// false when the app's count of full collections did not move (the heap read is then the last one the app ran).
    /// </summary>
    /// <summary>How long the soak's heap readings wait after the last load: the app at rest (its idle connections closed after 60 s).</summary>
    private static readonly TimeSpan Rest = TimeSpan.FromSeconds(90);

    private static async Task<(double Megabytes, bool Induced)> InducedHeapAsync(Api api, int appPid)
    {
        async Task<(long Heap, long FullCollections)> ReadAsync()
        {
            var data = await MemoryCheckAsync(api);
            return (data["heapAfterLastFullCollectionBytes"]!.GetValue<long>(), data["collections"]![2]!.GetValue<long>());
        }
        var (_, fullBefore) = await ReadAsync();
        var client = new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(appPid);
        using (var session = client.StartEventPipeSession(
                   new Microsoft.Diagnostics.NETCore.Client.EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Informational, 0x1 | 0x800000),
                   requestRundown: false))
        {
            var drain = Task.Run(() => session.EventStream.CopyTo(Stream.Null));
            await Task.Delay(TimeSpan.FromSeconds(2));
            session.Stop();
            await drain;
        }
        var (heap, fullAfter) = await ReadAsync();
        return (heap / 1048576.0, fullAfter > fullBefore);
    }

    /// <summary>CPU seconds so far of the runtime's tiered compilation thread in the app (still compiling hot code when this is not zero).</summary>
    internal static double TieringCpuSeconds(int appPid)
    {
        double ticks = 0;
        foreach (var task in Directory.GetDirectories($"/proc/{appPid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var close = stat.LastIndexOf(')');
                if (!stat[(stat.IndexOf('(') + 1)..close].StartsWith(".NET Tiered", StringComparison.Ordinal))
                    continue;
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }
        return ticks / 100.0;
    }

    /// <summary>CPU seconds so far of the app (with its children: the witness), of PostgreSQL's processes (those that exited included) and of the harness itself.</summary>
    private static (double App, double PostgreSql, double Harness) CpuSplit(int appPid)
    {
        var stats = new Dictionary<int, (int Parent, string Name, long Ticks)>();
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                // utime + stime, and for PostgreSQL also cutime + cstime: the postmaster's reaped children (a backend or an
                // autovacuum worker that exited between two readings would otherwise take its CPU with it).
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                if (name == "postgres")
                    ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                stats[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), name, ticks);
            }
            catch (IOException)
            {
            }
        }
        bool Under(int pid) => pid == appPid || (stats.TryGetValue(pid, out var s) && s.Parent > 1 && Under(s.Parent));
        return (stats.Where(p => Under(p.Key)).Sum(p => p.Value.Ticks) / 100.0, stats.Where(p => p.Value.Name == "postgres").Sum(p => p.Value.Ticks) / 100.0,
            Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
    }

    /// <summary>Waits until the transparency log holds every entry that existed when the app started; returns how many and how long.</summary>
    private static async Task<(long Entries, TimeSpan Elapsed)> LogCatchUpAsync(NpgsqlDataSource data)
    {
        var stopwatch = Stopwatch.StartNew();
        await using (var count = data.CreateCommand("SELECT count(*) FROM audit_entries"))
        {
            var entries = (long)(await count.ExecuteScalarAsync())!;
            while (stopwatch.Elapsed < TimeSpan.FromMinutes(30))
            {
                // Taken in and cosigned by the witness: a verification before that reports the trail as not anchored.
                await using var size = data.CreateCommand(
                    "SELECT least((SELECT tree_size FROM audit_log_state WHERE id = 1), coalesce((SELECT max(tree_size) FROM audit_cosignatures), 0))");
                if ((long)(await size.ExecuteScalarAsync())! >= entries)
                    return (entries, stopwatch.Elapsed);
                await Task.Delay(100);
            }
            throw new TimeoutException($"The transparency log did not take in (and its witness cosign) {entries:N0} entries within 30 minutes.");
        }
    }

    /// <summary>Sessions the server has accepted so far (a physical connection each: pool churn shows here).</summary>
    private static async Task<long> SessionsAsync(NpgsqlDataSource data)
    {
        await using var command = data.CreateCommand("SELECT sessions FROM pg_stat_database WHERE datname = 'decisions'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static JsonObject Json(LatencyStats s) => new()
    {
        ["count"] = s.Count, ["errors"] = s.Errors, ["seconds"] = s.Seconds, ["perSecond"] = s.PerSecond,
        ["p50"] = s.P50, ["p95"] = s.P95, ["p99"] = s.P99, ["max"] = s.Max,
    };

    private static JsonObject Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;
        var memory = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] : "0";
        return new JsonObject
        {
            ["cpu"] = cpu ?? "unknown CPU", ["cores"] = Environment.ProcessorCount,
            ["memoryGiB"] = Math.Round(double.Parse(memory, CultureInfo.InvariantCulture) / 1024 / 1024, 1), ["os"] = Environment.OSVersion.ToString(),
        };
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Drechtsteden.Decisions.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Run the harness from the repository.");
    }
}

/// <summary>a. Schedule + record decision over HTTP: every item is scheduled on its college's meeting later today, then decided.</summary>
internal static class Commands
{
    private static int _reported;

    /// <summary>True for a 2xx; the first few refusals are printed, so errors are never just a number.</summary>
    private static async Task<bool> Succeeded(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
            return true;
        if (Interlocked.Increment(ref _reported) <= 3)
            Console.WriteLine($"  refused: {(int)response.StatusCode} {(await response.Content.ReadAsStringAsync())[..Math.Min(300, (int)(response.Content.Headers.ContentLength ?? 300))]}");
        return false;
    }

    public static async Task<(LatencyStats Open, LatencyStats Capacity)> RunAsync(Api api, List<(string Code, string Name)> municipalities, double rate, TimeSpan duration,
        TimeSpan warmUp, TimeSpan capacityTime, Action<bool>? capacityPhase = null, Func<double>? tiering = null)
    {
        // Enough items that schedules never run out, for the warm-up (and its settling) and the measured load.
        // The capacity phase is budgeted at up to 1,000 commands/s.
        var send = await PrepareAsync(api, municipalities, rate * (duration + warmUp + Measure.SettleLimit / 2).TotalSeconds + 1000 * capacityTime.TotalSeconds,
            duration + warmUp + Measure.SettleLimit + capacityTime);

        // A server runs for days: the same load, unmeasured, first, so tiered JIT and dynamic PGO have settled (the cold
        // start is measured on its own, in e).
        var warm = await Measure.OpenLoadAsync(rate / 2, warmUp, send);
        var (extra, jit) = await Measure.SettleAsync(step => Measure.OpenLoadAsync(rate / 2, step, send), tiering);
        Console.WriteLine($"  warm-up: {warm.Count} commands at {rate / 2:0}/s offered, {warm.Errors} errors (not counted)"
            + (tiering is null ? "" : $", then {extra.TotalSeconds:0} s more until the JIT settled ({jit:0} ms of its CPU in the last 2 s)"));
        // Capacity the way B2 is measured: 16 callers in a closed loop, each sending its next command when the last one
        // was answered. Then latency under an open model at the offered rate.
        capacityPhase?.Invoke(true);
        var capacity = await Measure.ClosedLoopAsync(16, capacityTime, send);
        capacityPhase?.Invoke(false);
        Console.WriteLine($"  capacity: {capacity.PerSecond:0}/s with 16 callers, p99 {capacity.P99:0.0} ms, {capacity.Errors} errors");
        // The open model at half the capacity just measured (issue 19): latency when the server is busy but not saturated.
        var open = await Measure.OpenLoadAsync(Math.Max(1, capacity.PerSecond / 2), duration, send);
        return (open, capacity);
    }

    /// <summary>
    /// The soak: commands at <paramref name="rate"/> (open model) for <paramref name="duration"/>; every 30 s
    /// <paramref name="sample"/> is called (the heap is read there).
    /// </summary>
    public static async Task<LatencyStats> SoakAsync(Api api, List<(string Code, string Name)> municipalities, double rate, TimeSpan duration, Func<Task> sample)
    {
        var send = await PrepareAsync(api, municipalities, rate * duration.TotalSeconds, duration);
        using var stop = new CancellationTokenSource();
        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(30), stop.Token); } catch (OperationCanceledException) { break; }
                lock (samples) samples.Add(clock.Elapsed.TotalSeconds);
                await sample();
            }
        });
        var timeline = new List<(double At, double Latency)>();
        var load = await Measure.OpenLoadAsync(rate, duration, send, timeline);
        await stop.CancelAsync();
        await sampling;
        // Where the slow answers were: the 10-s windows whose 99th percentile passed 100 ms, and the instants the heap was read.
        var windows = timeline.GroupBy(t => (int)(t.At / 10)).OrderBy(g => g.Key)
            .Select(g => (From: g.Key * 10, P99: LatencyStats.Of([.. g.Select(t => t.Latency)], 0, 10).P99, Slow: g.Count(t => t.Latency > 200)))
            .Where(w => w.P99 > 100).ToList();
        Console.WriteLine($"  soak: {windows.Count} of {(int)Math.Ceiling(duration.TotalSeconds / 10)} 10-s windows with p99 > 100 ms"
            + (windows.Count > 0 ? ": " + string.Join(", ", windows.Select(w => $"{w.From}–{w.From + 10} s p99 {w.P99:0} ms ({w.Slow} > 200 ms)")) : "")
            + $"; heap read at {string.Join(", ", samples.Select(t => $"{t:0} s"))}");
        return load;
    }

    /// <summary>Starts enough processes for <paramref name="commands"/> commands (schedule, then decide) on a meeting later today.</summary>
    private static async Task<Func<int, Task<bool>>> PrepareAsync(Api api, List<(string Code, string Name)> municipalities, double commands, TimeSpan duration)
    {
        var now = DateTimeOffset.UtcNow;
        var today = Amsterdam.DateOf(now);
        var meetingAt = Amsterdam.At(today, new TimeOnly(23, 50));
        if (meetingAt - now < duration + TimeSpan.FromMinutes(2))
            throw new InvalidOperationException("Commands need a meeting later today (23:50 Amsterdam): run the harness before 23:30.");
        var meetings = new Dictionary<string, string>();
        foreach (var (code, name) in municipalities)
        {
            var meeting = await api.SendAsync(HttpMethod.Post, $"/api/municipalities/{code}/meetings", $"secretary-{Api.Slug(name)}", new { startsAt = meetingAt });
            meetings[code] = meeting["id"]!.GetValue<string>();
        }
        var needed = (int)(commands / municipalities.Count) + 4;
        var processes = new List<string>();
        var started = await Measure.ClosedLoopAsync(8, TimeSpan.FromHours(1), async i =>
        {
            lock (processes) { if (processes.Count >= needed) return true; }
            var answer = await api.SendAsync(HttpMethod.Post, "/api/processes", "coordinator", new
            {
                title = $"Benchmark {i}", reference = $"B-{i}", conceptText = "Het college besluit in te stemmen.", deadlineDate = today.AddDays(30),
                participants = municipalities.Select(m => m.Code).ToArray(),
            });
            lock (processes) processes.Add(answer["processId"]!.GetValue<string>());
            return true;
        }, () => { lock (processes) return processes.Count >= needed; });
        Console.WriteLine($"  {processes.Count} processes started for the command load ({started.PerSecond:0} starts/s)");

        // Process-major order: consecutive commands hit different processes, as independent colleges would.
        var toSchedule = new ConcurrentQueue<(string Process, string Code, string Name)>(
            municipalities.SelectMany(m => processes.Select(p => (p, m.Code, m.Name))));
        var toDecide = new ConcurrentQueue<(string Process, string Code, string Name)>();
        foreach (var (_, name) in municipalities)
        {
            await api.TokenAsync($"secretary-{Api.Slug(name)}");
            await api.TokenAsync($"college-{Api.Slug(name)}");
        }
        async Task<bool> Send(int i)
        {
            if (i % 2 == 1 && toDecide.TryDequeue(out var decide))
            {
                using var request = await api.RequestAsync(HttpMethod.Post, $"/api/processes/{decide.Process}/items/{decide.Code}/decision", $"college-{Api.Slug(decide.Name)}",
                    new { outcome = "Adopted", conceptVersion = 1, decidedOn = today });
                using var response = await api.Http.SendAsync(request);
                return await Succeeded(response);
            }
            if (!toSchedule.TryDequeue(out var item))
                return false;
            using (var request = await api.RequestAsync(HttpMethod.Post, $"/api/processes/{item.Process}/items/{item.Code}/schedule", $"secretary-{Api.Slug(item.Name)}",
                new { meetingId = meetings[item.Code] }))
            using (var response = await api.Http.SendAsync(request))
            {
                if (!await Succeeded(response))
                    return false;
            }
            toDecide.Enqueue(item);
            return true;
        }

        return Send;
    }
}
