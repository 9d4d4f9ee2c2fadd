using System.Diagnostics;

namespace Drechtsteden.Decisions.Benchmarks;

internal sealed record LatencyStats(int Count, int Errors, double Seconds, double P50, double P95, double P99, double Max)
{
    public double PerSecond => Count / Seconds;

    public static LatencyStats Of(List<double> millis, int errors, double seconds)
    {
        millis.Sort();
        double At(double q) => millis.Count == 0 ? double.NaN : millis[Math.Min(millis.Count - 1, (int)Math.Ceiling(q * millis.Count) - 1)];
        return new LatencyStats(millis.Count, errors, seconds, At(0.50), At(0.95), At(0.99), millis.Count == 0 ? double.NaN : millis[^1]);
    }
}

internal static class Measure
{
    private static int _reported;

    /// <summary>How long a warm-up may go on past its fixed part while the app's JIT still recompiles hot code.</summary>
    public static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(45);

    /// <summary>
    /// A server runs for days: after the fixed warm-up the same load goes on, in steps of 2 s, while the app's tiered JIT
    /// is still recompiling hot code (its thread used more than 40 ms of CPU in the last step, 2 % of a core), for at most
    /// <see cref="SettleLimit"/>. Measuring earlier measures the JIT (up to a fifth of the app's CPU in a profile of a
    /// capacity phase 10 s after a 8 s warm-up). Returns the extra time and the JIT's CPU in the last step.
    /// </summary>
    public static async Task<(TimeSpan Extra, double LastStepMs)> SettleAsync(Func<TimeSpan, Task> step, Func<double>? tiering)
    {
        if (tiering is null)
            return (TimeSpan.Zero, 0);
        var stopwatch = Stopwatch.StartNew();
        double last = 0;
        while (stopwatch.Elapsed < SettleLimit)
        {
            var before = tiering();
            await step(TimeSpan.FromSeconds(2));
            last = (tiering() - before) * 1000;
            if (last < 40)
                break;
        }
        return (stopwatch.Elapsed, last);
    }

    /// <summary>
    /// Open-model load: an arrival every 1/rate seconds whatever the answers do, each sent without waiting for the
    /// others; latency runs from the arrival's planned instant, so a slow server cannot hide its queue.
    /// </summary>
    /// <param name="timeline">When given, each answered request's planned send instant (seconds from the start) and latency.</param>
    public static async Task<LatencyStats> OpenLoadAsync(double rate, TimeSpan duration, Func<int, Task<bool>> send, List<(double At, double Latency)>? timeline = null)
    {
        var latencies = new List<double>();
        var errors = 0;
        var inFlight = new List<Task>();
        var total = (int)(rate * duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var planned = TimeSpan.FromSeconds(i / rate);
            var wait = planned - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            var index = i;
            inFlight.Add(Task.Run(async () =>
            {
                bool ok;
                try { ok = await send(index); }
                catch (Exception e)
                {
                    ok = false;
                    if (Interlocked.Increment(ref _reported) <= 3)
                        Console.WriteLine($"  failed: {e.GetType().Name}: {e.Message}");
                }
                var latency = (clock.Elapsed - planned).TotalMilliseconds;
                lock (latencies)
                {
                    if (ok) latencies.Add(latency); else errors++;
                    if (ok) timeline?.Add((planned.TotalSeconds, latency));
                }
            }));
        }
        await Task.WhenAll(inFlight);
        return LatencyStats.Of(latencies, errors, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Closed loop: <paramref name="workers"/> callers, each sending its next request when the last one answered.</summary>
    public static async Task<LatencyStats> ClosedLoopAsync(int workers, TimeSpan duration, Func<int, Task<bool>> send, Func<bool>? done = null)
    {
        var latencies = new List<double>();
        var errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var n = 0;
            while (clock.Elapsed < duration && !(done?.Invoke() ?? false))
            {
                var started = clock.Elapsed;
                bool ok;
                try { ok = await send(w * 1_000_000 + n++); } catch (Exception) { ok = false; }
                var latency = (clock.Elapsed - started).TotalMilliseconds;
                lock (latencies)
                {
                    if (ok) latencies.Add(latency); else errors++;
                }
            }
        })));
        return LatencyStats.Of(latencies, errors, clock.Elapsed.TotalSeconds);
    }
}
