using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Api;

public sealed record NotificationDto(long Id, string Kind, string Subject, string Body, string Link, Guid? ProcessId, string? Municipality, DateTimeOffset CreatedAt, OutboxStatus Status);

/// <param name="Scope">Optional: an integration token for one scope only (besluiten.lezen), for one <paramref name="Municipality"/>; it acts in no role.</param>
public sealed record ApiTokenRequest(string? UserId, string? Name, string? Scope = null, string? Municipality = null);

/// <summary>
/// The token is shown once, here; only its hash is kept. A retry with the same Idempotency-Key gets the same answer
/// without the token (null): the secret is never stored to be shown again.
/// </summary>
public sealed record ApiTokenCreated(Guid Id, string UserId, string Name, string? Token);

/// <summary>What belongs to the signed-in user: their messages. And the administrators' API tokens for integrations.</summary>
public static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccountEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/notifications", NotificationsAsync).WithName("MyNotifications").WithTags("Notifications");
        var tokens = api.MapGroup("/api-tokens").WithTags("Authentication").RequireAuthorization(policy => policy.RequireRole(nameof(Role.Admin)));
        tokens.MapPost("/", CreateTokenAsync).WithName("CreateApiToken").ProducesCommandProblems();
        tokens.MapDelete("/{id:guid}", RevokeTokenAsync).WithName("RevokeApiToken");
        return api;
    }

    private static async Task<Ok<List<NotificationDto>>> NotificationsAsync(HttpContext context, DecisionsDbContext db, CancellationToken cancellationToken)
    {
        var actor = context.User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");
        return TypedResults.Ok(await db.Outbox.AsNoTracking().Where(m => m.RecipientUserId == actor.UserId).OrderByDescending(m => m.Id).Take(200)
            .Select(m => new NotificationDto(m.Id, m.Kind, m.Subject, m.Body, m.Link, m.ProcessId, m.MunicipalityCode, m.CreatedAt, m.Status)).ToListAsync(cancellationToken));
    }

    private static async Task<Created<ApiTokenCreated>> CreateTokenAsync(ApiTokenRequest request, HttpContext context, DecisionsDbContext db, AuditTrail audit,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var admin = context.User.ToActor()!;
        var userId = string.IsNullOrWhiteSpace(request.UserId) ? throw DomainException.Invalid("user-required", "For which user is the token (userId)?", "userId") : request.UserId;
        var name = string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200
            ? throw DomainException.Invalid("name-required", "Name the integration the token is for (name, at most 200 characters).", "name")
            : request.Name.Trim();
        if (request.Scope is { } scope && !ApiToken.Scopes.Contains(scope))
            throw DomainException.Invalid("scope-unknown", $"The scope is one of: {string.Join(", ", ApiToken.Scopes)}.", "scope");
        if (request.Scope is not null && !Decisions.Regions.MunicipalityCode.IsValid(request.Municipality))
            throw DomainException.Invalid("scope-municipality-required", "A scoped token is for one municipality (municipality, e.g. GM0505).", "municipality");
        var key = CommandKey.From(context, "create-api-token", request);
        if (await db.ReplayAsync<ApiTokenCreated>(key, admin, cancellationToken) is { } earlier)
            return TypedResults.Created($"/api/api-tokens/{earlier.Id}", earlier);
        var secret = ApiToken.NewSecret();
        var token = new ApiToken
        {
            Id = Guid.CreateVersion7(), UserId = userId, Name = name, TokenHash = ApiToken.HashOf(secret), CreatedAt = clock.GetUtcNow(), CreatedBy = admin.UserId,
            Scope = request.Scope, ScopeMunicipality = request.Scope is null ? null : request.Municipality,
        };
        await audit.InTransactionAsync(async () =>
        {
            if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
                throw DomainException.Invalid("user-not-found", $"User '{userId}' does not exist.", "userId");
            if (token.ScopeMunicipality is { } code && !await db.Municipalities.AnyAsync(m => m.Code == code, cancellationToken))
                throw DomainException.Invalid("municipality-not-found", $"Municipality '{code}' does not exist.", "municipality");
            db.ApiTokens.Add(token);
            await audit.AppendAsync(admin, new AuditRecord(AuditEntry.SystemChain, "token.created", "apiToken", token.Id.ToString(), name,
                After: new JsonObject { ["user"] = userId, ["name"] = name, ["scope"] = token.Scope, ["municipality"] = token.ScopeMunicipality }, Status: StatusCodes.Status201Created), cancellationToken);
            db.Remember(key, admin, new ApiTokenCreated(token.Id, userId, name, null), clock.GetUtcNow());
        }, cancellationToken);
        return TypedResults.Created($"/api/api-tokens/{token.Id}", new ApiTokenCreated(token.Id, userId, name, secret));
    }

    private static async Task<Results<NoContent, NotFound>> RevokeTokenAsync(Guid id, HttpContext context, DecisionsDbContext db, AuditTrail audit, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var admin = context.User.ToActor()!;
        var found = false;
        await audit.InTransactionAsync(async () =>
        {
            var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
            found = token is not null;
            if (token is null || token.RevokedAt is not null)
                return;
            token.RevokedAt = clock.GetUtcNow();
            await audit.AppendAsync(admin, new AuditRecord(AuditEntry.SystemChain, "token.revoked", "apiToken", token.Id.ToString(), token.Name,
                Before: new JsonObject { ["revoked"] = false }, After: new JsonObject { ["revoked"] = true }), cancellationToken);
        }, cancellationToken);
        return found ? TypedResults.NoContent() : TypedResults.NotFound();
    }
}
