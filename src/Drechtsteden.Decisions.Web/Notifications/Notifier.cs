using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>
/// Queues a notification for everyone in the recipient role who has to act — the secretary or college of the item's
/// municipality, the coordinators (or administrators) of the process's region — in the caller's transaction, with one
/// audit entry.
/// </summary>
public sealed class Notifier(DecisionsDbContext db, AuditTrail audit, NotificationComposer composer, TimeProvider clock)
{
    public Task<int> NotifyAsync(DecisionProcess process, Notice notice, CancellationToken cancellationToken) =>
        NotifyAsync(process, notice.Municipality is { } code ? process.Item(code) : null, notice.Notification, notice.Recipient, notice.Source, cancellationToken);

    public async Task<int> NotifyAsync(DecisionProcess process, AgendaItem? item, string notification, Role recipientRole, string source, CancellationToken cancellationToken,
        string? detail = null)
    {
        var query = db.Users.AsNoTracking().Where(u => u.Active && u.Role == recipientRole);
        query = recipientRole.IsMunicipal()
            ? query.Where(u => item != null && u.MunicipalityCode == item.MunicipalityCode)
            : query.Where(u => u.RegionCode == null || u.RegionCode == process.RegionCode);
        var recipients = await query.OrderBy(u => u.Id).ToListAsync(cancellationToken);
        var municipalityName = item is null ? null
            : await db.Municipalities.AsNoTracking().Where(m => m.Code == item.MunicipalityCode).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken);
        var now = clock.GetUtcNow();
        foreach (var user in recipients)
        {
            var message = composer.Compose(notification, process, item, municipalityName, user, detail);
            db.Outbox.Add(new OutboxMessage
            {
                DedupeKey = DedupeKey($"{source}:{user.Id}"),
                Kind = message.Kind,
                RecipientUserId = user.Id,
                RecipientName = user.DisplayName,
                RecipientEmail = user.Email,
                Subject = message.Subject,
                Body = message.Body,
                Link = message.Link,
                ProcessId = process.Id,
                MunicipalityCode = item?.MunicipalityCode,
                CreatedAt = now,
                Status = NotificationComposer.ByMail(message.Kind, user) ? OutboxStatus.Pending : OutboxStatus.InAppOnly,
                NextAttemptAt = now,
            });
        }
        var action = NotificationComposer.KindOf(notification) switch
        {
            NotificationComposer.Escalation => "escalation.sent",
            NotificationComposer.Risk => "risk.alerted",
            NotificationComposer.Publication => "publication.sent",
            NotificationComposer.Alert => "alert.sent",
            NotificationComposer.Signal => "signal.sent",
            _ => "reminder.sent",
        };
        await audit.AppendAsync(Actor.SystemActor, new AuditRecord(process.Id, action, item is null ? "process" : "agendaItem",
            (item?.Id ?? process.Id).ToString(), item is null ? process.Reference : $"{process.Reference} – {item.MunicipalityCode}",
            process.Id, item?.Id, item?.MunicipalityCode,
            After: new JsonObject
            {
                ["notification"] = notification,
                ["recipientRole"] = recipientRole.ToString(),
                ["recipients"] = new JsonArray(recipients.Select(u => (JsonNode?)JsonValue.Create(u.Id)).ToArray()),
            },
            Reason: recipients.Count == 0 ? $"nobody has the role {recipientRole} here" : null), cancellationToken);
        return recipients.Count;
    }

    /// <summary>The key as it fits its column: readable when short, its SHA-256 when a long user id or state name would not fit.</summary>
    private static string DedupeKey(string key) =>
        key.Length <= OutboxMessage.MaxDedupeKeyLength ? key : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
