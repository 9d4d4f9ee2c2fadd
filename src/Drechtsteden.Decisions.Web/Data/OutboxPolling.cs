namespace Drechtsteden.Decisions.Web.Data;

/// <summary>The loop of every outbox reader (messages, webhook events): poll, drain full batches, wait out a missing database.</summary>
public static class OutboxPolling
{
    /// <summary>
    /// Runs <paramref name="once"/> every <paramref name="interval"/>, and again at once while it handled a full
    /// <paramref name="batchSize"/> (there may be more waiting). A database that is away, or not migrated yet, is logged
    /// and tried again at the next tick.
    /// </summary>
    public static async Task RunAsync(TimeSpan interval, int batchSize, Func<CancellationToken, Task<int>> once, ILogger logger, string what, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (await once(stoppingToken) == batchSize)
                {
                    // a full batch: there may be more waiting
                }
            }
            catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e))
            {
                logger.LogWarning("{What} not dispatched, the database is not available (or not migrated): {Reason}", what, e.Message);
            }
        }
    }
}
