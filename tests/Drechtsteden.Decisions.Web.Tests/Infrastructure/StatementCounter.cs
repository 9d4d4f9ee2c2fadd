using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>
/// Counts the statements (round trips) sent to PostgreSQL while <see cref="CountAsync"/> runs its work, from Npgsql's own
/// metrics (one <c>db.client.operation.duration</c> measurement per command or batch sent), and keeps their texts for
/// whoever works on lowering a count. Only the work's own async flow is counted (an <see cref="AsyncLocal{T}"/>), not
/// what background services send meanwhile.
/// </summary>
public static class StatementCounter
{
    private static readonly AsyncLocal<bool> Counting = new();

    public static async Task<(int Statements, IReadOnlyList<string> Texts)> CountAsync(Func<Task> work)
    {
        var statements = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) =>
        {
            if (Counting.Value)
                Interlocked.Increment(ref statements);
        });
        listener.Start();
        var texts = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Counting.Value)
                    texts.Enqueue(string.Join(" | ", a.Tags.Where(t => t.Key.Contains("text", StringComparison.Ordinal)).Select(t => t.Value?[..Math.Min(120, t.Value.Length)].ReplaceLineEndings(" "))));
            },
        };
        ActivitySource.AddActivityListener(activities);
        Counting.Value = true;
        try
        {
            await work();
        }
        finally
        {
            Counting.Value = false;
        }
        listener.RecordObservableInstruments();
        return (statements, texts.ToList());
    }
}
