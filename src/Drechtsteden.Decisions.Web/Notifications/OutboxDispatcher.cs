using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>
/// Sends what the outbox holds. Each batch is claimed with FOR UPDATE SKIP LOCKED, so several instances share the
/// work and never send one message twice; a failure is retried with exponential backoff.
/// </summary>
public sealed class OutboxDispatcher(IServiceScopeFactory scopes, IMailSender sender, MailOptions options, TimeProvider clock, ILogger<OutboxDispatcher> logger)
    : BackgroundService
{
    private const int BatchSize = 20;

    /// <summary>Sends one batch of due messages; returns how many were sent.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var batch = await db.Outbox
            .FromSql($"SELECT * FROM outbox_messages WHERE status = 'Pending' AND next_attempt_at <= {now} ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var message in batch)
        {
            try
            {
                await sender.SendAsync(message, cancellationToken);
                message.Status = OutboxStatus.Sent;
                message.SentAt = clock.GetUtcNow();
                message.Attempts++;
                sent++;
                Telemetry.NotificationsSent.Add(1, new KeyValuePair<string, object?>("kind", message.Kind));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                message.Attempts++;
                message.LastError = e.Message.Length > 2000 ? e.Message[..2000] : e.Message;
                var backoff = TimeSpan.FromSeconds(Math.Min(3600, 15 * Math.Pow(2, message.Attempts - 1)));
                message.NextAttemptAt = clock.GetUtcNow() + backoff;
                if (message.Attempts >= options.MaxAttempts)
                    message.Status = OutboxStatus.Failed;
                logger.LogWarning("Message {Id} to {Recipient} not sent (attempt {Attempt}): {Reason}", message.Id, message.RecipientEmail, message.Attempts, e.Message);
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return sent;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (await DispatchOnceAsync(stoppingToken) == BatchSize)
                {
                    // a full batch: there may be more waiting
                }
            }
            catch (Exception e) when (DatabaseExtensions.IsDatabaseUnavailable(e))
            {
                logger.LogWarning("Outbox not dispatched, the database is not available: {Reason}", e.Message);
            }
        }
    }
}
