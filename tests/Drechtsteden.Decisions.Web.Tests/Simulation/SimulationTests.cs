using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;

namespace Drechtsteden.Decisions.Web.Tests.Simulation;

/// <summary>
/// Thousands of random histories of commands against the real engine, pipeline and PostgreSQL on a fake clock, each
/// step checked against an independent reference model: the states, the timers the state calls for (one escalation at
/// the current deadline, reminders at the instants ahead; none early, none twice), the audit chain (valid, one entry per
/// accepted command), the embargo, and that a refused command changes nothing. A failure shrinks (CsCheck) to a small
/// history, printed step by step with the app's answers.
/// </summary>
[NonParallelizable]
public sealed class SimulationTests
{
    /// <summary>Histories per run: at least 300 in CI; SIMULATION_HISTORIES=10000 for the long run.</summary>
    private static int Histories => int.TryParse(Environment.GetEnvironmentVariable("SIMULATION_HISTORIES"), out var n) ? n : 300;

    /// <summary>Histories run side by side (each on a world of its own).</summary>
    private static int Threads => int.TryParse(Environment.GetEnvironmentVariable("SIMULATION_THREADS"), out var n) ? n : 4;

    private const int MinSteps = 40;
    private const int MaxSteps = 44;

    [Test]
    public async Task Random_histories_keep_every_promise_of_the_process()
    {
        var pool = new ConcurrentBag<SimulationWorld>();
        var steps = 0L;
        var histories = 0L;
        var full = 0L;
        var stopwatch = Stopwatch.StartNew();
        var firstFailure = int.MaxValue;
        try
        {
            await History.Generate(MinSteps, MaxSteps).SampleAsync(async history =>
            {
                var (number, generation, slot) = SimulationWorld.NextHistory();
                if (!pool.TryTake(out var world) || world.Generation != generation)
                {
                    if (world is not null)
                        await world.DisposeAsync();
                    world = await SimulationWorld.CreateAsync(generation);
                }
                try
                {
                    await world.RunAsync(history, number, slot);
                    Interlocked.Add(ref steps, history.Steps.Count);
                    Interlocked.Increment(ref histories);
                    if (history.Steps.Count >= MinSteps)
                        Interlocked.Increment(ref full);
                }
                catch
                {
                    lock (pool)
                        firstFailure = Math.Min(firstFailure, number);
                    throw;
                }
                finally
                {
                    pool.Add(world);
                }
            }, iter: Histories + Histories / 20, threads: Threads, print: h => h.ToString());
        }
        catch (CsCheckException e)
        {
            // How soon the promise broke, for the record; then the shrunk history CsCheck found.
            // The broken promise itself (the world's Fail message) is the innermost exception: CsCheck's message names only the history.
            var cause = e.InnerException;
            while (cause?.InnerException is not null)
                cause = cause.InnerException;
            throw new AssertionException($"The first history that broke a promise was history #{firstFailure} ({histories:N0} passed before it ended).\n{e.Message}\nBroken: {cause?.GetType().Name}: {cause?.Message}", e);
        }
        finally
        {
            foreach (var world in pool)
                await world.DisposeAsync();
        }
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"simulation: {histories:N0} histories ({full:N0} of {MinSteps}–{MaxSteps} steps), {steps:N0} steps in {stopwatch.Elapsed.TotalSeconds:0.0} s ({steps / stopwatch.Elapsed.TotalSeconds:N0} steps/s); commands accepted {Figures.Accepted:N0}, refused {Figures.Refused:N0}; timers fired {Figures.Firings:N0}");
        Faults.FaultRig.Report(figures);
        Assert.That(full, Is.GreaterThanOrEqualTo(Histories), $"at least {Histories} histories of at least {MinSteps} steps");
    }
}
