using System.Globalization;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>
/// Sends what the outbox holds. Each batch is claimed with FOR UPDATE SKIP LOCKED, so several instances share the
/// work and never send one message twice; a failure is retried with exponential backoff. A message the mail server
/// accepted, or one given up on, is proved in its process's audit chain (<c>message.delivered</c>,
/// <c>message.failed</c>) in the transaction that marks it so: "reminder sent" means queued, this means it went out.
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
        var audit = ActivatorUtilities.CreateInstance<AuditTrail>(scope.ServiceProvider, clock);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var batch = await db.Outbox
            .FromSql($"SELECT * FROM outbox_messages WHERE status = 'Pending' AND next_attempt_at <= {now} ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        var sent = 0;
        var settled = new List<OutboxMessage>();
        foreach (var message in batch)
        {
            try
            {
                await sender.SendAsync(message, cancellationToken);
                Delivered(message, clock.GetUtcNow());
                settled.Add(message);
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
                {
                    message.Status = OutboxStatus.Failed;
                    settled.Add(message);
                }
                logger.LogWarning("Message {Id} to {Recipient} not sent (attempt {Attempt}): {Reason}", message.Id, message.RecipientEmail, message.Attempts, e.Message);
            }
        }
        // The process rows are locked (their chains ordered) only now, after the mail server was slow or not, and in
        // one order, so two dispatchers never wait for each other in a circle.
        foreach (var message in settled.OrderBy(m => m.ProcessId ?? AuditEntry.SystemChain).ThenBy(m => m.Id))
            await ProveAsync(audit, message, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return sent;
    }

    /// <summary>The mail server accepted the message at <paramref name="at"/>.</summary>
    public static void Delivered(OutboxMessage message, DateTimeOffset at)
    {
        message.Status = OutboxStatus.Sent;
        message.SentAt = at;
        message.Attempts++;
    }

    /// <summary>
    /// The audit entry of a message that went out (or was given up on), on its process's chain, in the open transaction:
    /// to whom (user id, not the address), which notification, when and after how many attempts.
    /// </summary>
    public static Task ProveAsync(AuditTrail audit, OutboxMessage message, CancellationToken cancellationToken)
    {
        var delivered = message.Status == OutboxStatus.Sent;
        var process = message.ProcessId ?? AuditEntry.SystemChain;
        return audit.AppendAsync(Actor.SystemActor, new AuditRecord(process, delivered ? "message.delivered" : "message.failed", "message",
            message.Id.ToString(CultureInfo.InvariantCulture), message.Subject, message.ProcessId, null, message.MunicipalityCode,
            After: new JsonObject
            {
                ["kind"] = message.Kind,
                ["recipient"] = message.RecipientUserId,
                ["queuedAt"] = message.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                ["sentAt"] = message.SentAt?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                ["attempts"] = message.Attempts,
            },
            Reason: delivered ? null : message.LastError, Status: delivered ? 200 : 502), cancellationToken);
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
