using System.Globalization;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>
/// Sends what the outbox holds, one message per transaction: it is claimed with FOR UPDATE SKIP LOCKED (several
/// instances share the work and never send one message twice), handed to the mail server, marked and proved in its
/// process's audit chain (<c>message.delivered</c>) in that transaction. A message that fails — to send, or to be
/// recorded — is retried with exponential backoff, on its own: it never holds up the others. After the last attempt
/// it is parked (<c>message.failed</c>) and the administrators are told; it stays visible on the Storingen page.
/// </summary>
public sealed class OutboxDispatcher(IServiceScopeFactory scopes, IMailSender sender, MailOptions options, TimeProvider clock, ILogger<OutboxDispatcher> logger)
    : BackgroundService
{
    private const int BatchSize = 20;

    /// <summary>Sends up to one batch of due messages, each in its own transaction; returns how many were sent.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken = default)
    {
        var sent = 0;
        for (var n = 0; n < BatchSize; n++)
        {
            var (found, delivered) = await DispatchOneAsync(cancellationToken);
            if (!found)
                break;
            if (delivered)
                sent++;
        }
        return sent;
    }

    private async Task<(bool Found, bool Delivered)> DispatchOneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        long? claimed = null;
        Exception failure;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var now = clock.GetUtcNow();
            // The SQL orders and limits; EF is handed the one row (a LINQ First here would warn that nothing orders it).
            var message = (await db.Outbox
                .FromSql($"SELECT * FROM outbox_messages WHERE status = 'Pending' AND next_attempt_at <= {now} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")
                .ToListAsync(cancellationToken)).SingleOrDefault();
            if (message is null)
                return (false, false);
            claimed = message.Id;
            await sender.SendAsync(message, cancellationToken);
            Delivered(message, clock.GetUtcNow());
            await ProveAsync(ActivatorUtilities.CreateInstance<AuditTrail>(scope.ServiceProvider, clock), message, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            Telemetry.NotificationsSent.Add(1, new KeyValuePair<string, object?>("kind", message.Kind));
            return (true, true);
        }
        catch (Exception e) when (claimed is not null && e is not OperationCanceledException && !DatabaseExtensions.IsDatabaseUnavailable(e))
        {
            failure = e;
        }
        await FailedAsync(claimed!.Value, failure, cancellationToken);
        return (true, false);
    }

    /// <summary>
    /// An attempt failed (the attempt's transaction was rolled back): counted, with the error and a growing pause; after
    /// the last attempt the message is parked, proved as failed, and the administrators are told.
    /// </summary>
    private async Task FailedAsync(long messageId, Exception error, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var audit = ActivatorUtilities.CreateInstance<AuditTrail>(scope.ServiceProvider, clock);
        await audit.InTransactionAsync(async () =>
        {
            var message = await db.Outbox.FirstAsync(m => m.Id == messageId, cancellationToken);
            if (message.Status != OutboxStatus.Pending)
                return;
            message.Attempts++;
            message.LastError = error.Message.Length > 2000 ? error.Message[..2000] : error.Message;
            message.NextAttemptAt = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(3600, 15 * Math.Pow(2, message.Attempts - 1)));
            logger.LogWarning("Message {Id} to {Recipient} not sent (attempt {Attempt}): {Reason}", message.Id, message.RecipientEmail, message.Attempts, error.Message);
            if (message.Attempts < options.MaxAttempts)
                return;
            message.Status = OutboxStatus.Failed;
            await ProveAsync(audit, message, cancellationToken);
            // An alert that cannot be delivered is not alerted about again: that would never end.
            if (message.Kind != NotificationComposer.Alert && message.ProcessId is { } processId
                && await db.ProcessAggregates.AsNoTracking().FirstOrDefaultAsync(p => p.Id == processId, cancellationToken) is { } process)
            {
                var notifier = ActivatorUtilities.CreateInstance<Notifier>(scope.ServiceProvider, audit, clock);
                await notifier.NotifyAsync(process, null, NotificationComposer.MessageParked, Role.Admin, $"parked:message:{message.Id}", cancellationToken,
                    $"Aan {message.RecipientName}, onderwerp ‘{message.Subject}’, {message.Attempts} pogingen; laatste fout: {message.LastError}");
            }
        }, cancellationToken);
    }

    /// <summary>
    /// An administrator sends a parked message again: it is pending once more, with its attempts reset; audited on its
    /// process's chain. False when the message is not parked.
    /// </summary>
    public static async Task<bool> RetryAsync(DecisionsDbContext db, AuditTrail audit, long messageId, Actor actor, TimeProvider clock, CancellationToken cancellationToken) =>
        await audit.InTransactionAsync(async () =>
        {
            var message = await db.Outbox.FirstOrDefaultAsync(m => m.Id == messageId, cancellationToken);
            if (message is not { Status: OutboxStatus.Failed })
                return false;
            message.Status = OutboxStatus.Pending;
            message.Attempts = 0;
            message.NextAttemptAt = clock.GetUtcNow();
            await audit.AppendAsync(actor, new AuditRecord(message.ProcessId ?? AuditEntry.SystemChain, "message.retried", "message",
                message.Id.ToString(CultureInfo.InvariantCulture), message.Subject, message.ProcessId, null, message.MunicipalityCode,
                After: new JsonObject { ["recipient"] = message.RecipientUserId, ["kind"] = message.Kind }, Reason: message.LastError), cancellationToken);
            return true;
        }, cancellationToken);

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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        OutboxPolling.RunAsync(options.PollInterval, BatchSize, DispatchOnceAsync, logger, "Outbox", stoppingToken);
}
