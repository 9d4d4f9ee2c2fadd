using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After this many failed attempts a delivery is set aside (Failed).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>How long a receiver may take to answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>A webhook's secret, encrypted at rest with the app's data-protection keys (the same keys as the sign-in cookies).</summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Drechtsteden.Decisions.Webhooks.Secret");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}

/// <summary>
/// Delivers the outbox's events to the registered webhooks as CloudEvents 1.0 (structured JSON), at least once. First
/// each new event is fanned out — one delivery per webhook that wanted its type and was registered when it occurred —
/// then each due delivery is claimed (FOR UPDATE SKIP LOCKED: several instances share the work), POSTed with its HMAC
/// signature and marked delivered on a 2xx answer; anything else is retried after 15 s, 30 s, 1 min, … (at most an
/// hour apart) and set aside after <see cref="WebhookOptions.MaxAttempts"/>. One slow or failing receiver never holds up
/// the others: every delivery has its own transaction.
/// </summary>
public sealed class WebhookDispatcher(IServiceScopeFactory scopes, IHttpClientFactory http, WebhookSecrets secrets, WebhookOptions options, AppOptions app,
    TimeProvider clock, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    public const string SignatureHeader = "X-Drechtsteden-Signature";
    public const string TimestampHeader = "X-Drechtsteden-Timestamp";
    public const string DeliveryHeader = "X-Drechtsteden-Delivery";
    private const int BatchSize = 20;
    private static readonly JsonEventFormatter Formatter = new();

    /// <summary>Fans out new events and delivers what is due; returns the number of deliveries that reached their receiver.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken = default)
    {
        while (await FanOutAsync(cancellationToken) == 100)
        {
            // a full batch: there may be more
        }
        var delivered = 0;
        for (var n = 0; n < BatchSize; n++)
        {
            var (found, ok) = await DeliverOneAsync(cancellationToken);
            if (!found)
                break;
            if (ok)
                delivered++;
        }
        return delivered;
    }

    private async Task<int> FanOutAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var events = await db.Set<WebhookEvent>()
            .FromSql($"SELECT * FROM webhook_events WHERE fanned_out_at IS NULL ORDER BY sequence LIMIT 100 FOR UPDATE SKIP LOCKED").ToListAsync(cancellationToken);
        if (events.Count == 0)
            return 0;
        var webhooks = await db.Set<Webhook>().AsNoTracking().Where(w => w.RevokedAt == null).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        foreach (var e in events)
        {
            foreach (var webhook in webhooks.Where(w => w.EventTypes.Contains(e.Type) && w.CreatedAt <= e.OccurredAt))
                db.Add(new WebhookDelivery { EventId = e.Id, WebhookId = webhook.Id, Status = WebhookDeliveryStatus.Pending, NextAttemptAt = now });
            e.FannedOutAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return events.Count;
    }

    private async Task<(bool Found, bool Delivered)> DeliverOneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var delivery = (await db.Set<WebhookDelivery>()
            .FromSql($"SELECT * FROM webhook_deliveries WHERE status = 'Pending' AND next_attempt_at <= {now} ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken)).SingleOrDefault();
        if (delivery is null)
            return (false, false);
        var e = await db.Set<WebhookEvent>().AsNoTracking().FirstAsync(x => x.Id == delivery.EventId, cancellationToken);
        var webhook = await db.Set<Webhook>().AsNoTracking().FirstAsync(w => w.Id == delivery.WebhookId, cancellationToken);
        string? error = null;
        if (webhook.RevokedAt is not null)
        {
            error = "The webhook was revoked.";
            delivery.Attempts = options.MaxAttempts;
        }
        else
        {
            try
            {
                using var request = Request(e, webhook, delivery, now);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.Timeout);
                using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
                if (!response.IsSuccessStatusCode)
                    error = $"The receiver answered {(int)response.StatusCode} {response.ReasonPhrase}.";
            }
            catch (Exception x) when (x is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                error = x is TaskCanceledException ? $"The receiver did not answer within {options.Timeout.TotalSeconds:0} s." : x.Message;
            }
        }
        delivery.Attempts++;
        if (error is null)
        {
            delivery.Status = WebhookDeliveryStatus.Delivered;
            delivery.DeliveredAt = clock.GetUtcNow();
            delivery.LastError = null;
        }
        else
        {
            delivery.LastError = error.Length > 2000 ? error[..2000] : error;
            delivery.NextAttemptAt = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(3600, 15 * Math.Pow(2, delivery.Attempts - 1)));
            if (delivery.Attempts >= options.MaxAttempts)
                delivery.Status = WebhookDeliveryStatus.Failed;
            logger.LogWarning("Webhook delivery {Id} of event {Event} to {Url} failed (attempt {Attempt}): {Reason}", delivery.Id, e.Id, webhook.Url, delivery.Attempts, error);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (true, error is null);
    }

    /// <summary>The CloudEvent (structured JSON) with its signature: HMAC-SHA256 over "timestamp.body" with the webhook's secret.</summary>
    private HttpRequestMessage Request(WebhookEvent e, Webhook webhook, WebhookDelivery delivery, DateTimeOffset now)
    {
        var body = Body(e, app.PublicBaseUrl).ToArray();
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/cloudevents+json; charset=utf-8");
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, "sha256=" + Sign(secrets.Unprotect(webhook.ProtectedSecret), timestamp, body));
        request.Headers.Add(DeliveryHeader, delivery.Id.ToString(CultureInfo.InvariantCulture));
        return request;
    }

    /// <summary>The signature a receiver recomputes: lower-case hex of HMAC-SHA256(secret, timestamp + "." + body).</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var message = new byte[Encoding.UTF8.GetByteCount(timestamp) + 1 + body.Length];
        var written = Encoding.UTF8.GetBytes(timestamp, message);
        message[written] = (byte)'.';
        body.CopyTo(message.AsSpan(written + 1));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>The event as a CloudEvent 1.0 in structured JSON mode; the same id on every attempt and for every receiver.</summary>
    public static ReadOnlyMemory<byte> Body(WebhookEvent e, Uri baseUrl)
    {
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0)
        {
            Id = e.Id.ToString("D"),
            Type = WebhookEventTypes.Prefix + e.Type,
            Source = new Uri(baseUrl, $"api/processes/{e.ProcessId:D}"),
            Subject = e.Subject,
            Time = e.OccurredAt,
            DataContentType = "application/json",
            Data = JsonDocument.Parse(e.Data).RootElement.Clone(),
        };
        return Formatter.EncodeStructuredModeMessage(cloudEvent, out _);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        OutboxPolling.RunAsync(options.PollInterval, BatchSize, DispatchOnceAsync, logger, "Webhooks", stoppingToken);
}
