using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Webhooks;

/// <summary>An administrator registers a receiver: its URL, a secret (16 to 200 characters) and the kinds of event it wants.</summary>
public sealed record WebhookRequest(string? Url, string? Secret, string[]? Events);

/// <summary>A registered webhook (never its secret), with how its deliveries stand.</summary>
public sealed record WebhookDto(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, int Delivered, int Pending, int Failed,
    string? LastError);

/// <summary>Webhooks: CloudEvents out to the systems around the product (README, "Events out").</summary>
public static class WebhookEndpoints
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(WebhookOptions.Section).Get<WebhookOptions>() ?? new WebhookOptions();
        services.AddSingleton(options);
        services.AddSingleton<WebhookSecrets>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client => client.DefaultRequestHeaders.UserAgent.ParseAdd("Drechtsteden.Decisions-Webhooks/1.0"));
        services.AddSingleton<WebhookDispatcher>();
        if ((configuration.GetSection(JobOptions.Section).Get<JobOptions>() ?? new JobOptions()).Server)
            services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }

    public static RouteGroupBuilder MapWebhookEndpoints(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks").RequireAuthorization(policy => policy.RequireRole(nameof(Role.Admin)));
        webhooks.MapGet("/", ListAsync).WithName("ListWebhooks");
        webhooks.MapPost("/", RegisterAsync).WithName("RegisterWebhook").ProducesCommandProblems();
        webhooks.MapDelete("/{id:guid}", RevokeAsync).WithName("RevokeWebhook");
        return api;
    }

    private static async Task<Ok<List<WebhookDto>>> ListAsync(DecisionsDbContext db, CancellationToken cancellationToken)
    {
        var webhooks = await db.Set<Webhook>().AsNoTracking().OrderBy(w => w.CreatedAt).ToListAsync(cancellationToken);
        var stats = await db.Set<WebhookDelivery>().AsNoTracking().GroupBy(d => new { d.WebhookId, d.Status })
            .Select(g => new { g.Key.WebhookId, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        var errors = await db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.LastError != null).GroupBy(d => d.WebhookId)
            .Select(g => new { WebhookId = g.Key, LastError = g.OrderByDescending(d => d.Id).Select(d => d.LastError).First() }).ToListAsync(cancellationToken);
        int Count(Guid id, WebhookDeliveryStatus status) => stats.Where(s => s.WebhookId == id && s.Status == status).Sum(s => s.Count);
        return TypedResults.Ok(webhooks.Select(w => new WebhookDto(w.Id, w.Url, w.EventTypes, w.CreatedAt, w.RevokedAt,
            Count(w.Id, WebhookDeliveryStatus.Delivered), Count(w.Id, WebhookDeliveryStatus.Pending), Count(w.Id, WebhookDeliveryStatus.Failed),
            errors.FirstOrDefault(e => e.WebhookId == w.Id)?.LastError)).ToList());
    }

    private static async Task<Created<WebhookDto>> RegisterAsync(WebhookRequest request, HttpContext context, DecisionsDbContext db, AuditTrail audit, WebhookSecrets secrets,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var admin = context.User.ToActor()!;
        if (string.IsNullOrWhiteSpace(request.Url) || request.Url.Length > Drechtsteden.Decisions.Input.Limits.Url
            || !Uri.TryCreate(request.Url.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw DomainException.Invalid("webhook-url-invalid", $"The webhook's url must be an absolute http(s) address of at most {Drechtsteden.Decisions.Input.Limits.Url} characters.", "url");
        if (request.Secret is not { Length: >= 16 and <= 200 } secret || string.IsNullOrWhiteSpace(secret))
            throw DomainException.Invalid("webhook-secret-invalid", "The secret the deliveries are signed with has 16 to 200 characters.", "secret");
        var events = request.Events?.Distinct(StringComparer.Ordinal).ToArray() ?? [];
        if (events.Length == 0 || events.Any(e => !WebhookEventTypes.All.Contains(e)))
            throw DomainException.Invalid("webhook-events-invalid", $"Choose one or more events: {string.Join(", ", WebhookEventTypes.All)}.", "events");
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(), Url = url.ToString(), ProtectedSecret = secrets.Protect(secret), EventTypes = events, CreatedAt = clock.GetUtcNow(), CreatedBy = admin.UserId,
        };
        await audit.InTransactionAsync(async () =>
        {
            db.Add(webhook);
            await audit.AppendAsync(admin, new AuditRecord(AuditEntry.SystemChain, "webhook.registered", "webhook", webhook.Id.ToString(), webhook.Url,
                After: new JsonObject { ["url"] = webhook.Url, ["events"] = new JsonArray([.. events.Select(e => (JsonNode?)JsonValue.Create(e))]) }, Status: StatusCodes.Status201Created),
                cancellationToken);
        }, cancellationToken);
        return TypedResults.Created($"/api/webhooks/{webhook.Id}", new WebhookDto(webhook.Id, webhook.Url, events, webhook.CreatedAt, null, 0, 0, 0, null));
    }

    private static async Task<Results<NoContent, NotFound>> RevokeAsync(Guid id, HttpContext context, DecisionsDbContext db, AuditTrail audit, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var admin = context.User.ToActor()!;
        var found = false;
        await audit.InTransactionAsync(async () =>
        {
            var webhook = await db.Set<Webhook>().FirstOrDefaultAsync(w => w.Id == id, cancellationToken);
            found = webhook is not null;
            if (webhook is null || webhook.RevokedAt is not null)
                return;
            webhook.RevokedAt = clock.GetUtcNow();
            await audit.AppendAsync(admin, new AuditRecord(AuditEntry.SystemChain, "webhook.revoked", "webhook", webhook.Id.ToString(), webhook.Url,
                Before: new JsonObject { ["revoked"] = false }, After: new JsonObject { ["revoked"] = true }), cancellationToken);
        }, cancellationToken);
        return found ? TypedResults.NoContent() : TypedResults.NotFound();
    }
}
