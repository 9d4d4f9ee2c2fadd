using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>A command's identity for idempotency: a key chosen by the client, and what the request was.</summary>
public sealed record CommandKey(string? IdempotencyKey, string Command, object Payload)
{
    public string RequestHash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Command + "\n" + JsonSerializer.Serialize(Payload, JsonSerializerOptions.Web)))).ToLowerInvariant();

    /// <summary>Reads the Idempotency-Key header of a request.</summary>
    public static CommandKey From(HttpContext context, string command, object payload)
    {
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        if (key is { Length: > 200 })
            throw DomainException.Invalid("idempotency-key-too-long", "An Idempotency-Key has at most 200 characters.", "Idempotency-Key");
        return new CommandKey(string.IsNullOrWhiteSpace(key) ? null : key, command, payload);
    }
}

/// <summary>
/// "A retried request returns the first answer": the answer to a command sent with an Idempotency-Key is stored in
/// the command's own transaction, and a repeat of the same request by the same actor gets it back unchanged.
/// </summary>
public static class Idempotency
{
    public static async Task<T?> ReplayAsync<T>(this DecisionsDbContext db, CommandKey key, Actor actor, CancellationToken cancellationToken) where T : class
    {
        if (key.IdempotencyKey is null)
            return null;
        var record = await db.IdempotencyKeys.AsNoTracking().FirstOrDefaultAsync(r => r.Key == key.IdempotencyKey, cancellationToken);
        if (record is null)
            return null;
        if (record.ActorId != actor.UserId || record.RequestHash != key.RequestHash)
            throw DomainException.Invalid("idempotency-key-reused", "This Idempotency-Key was already used for another request; use a new key for a new request.", "Idempotency-Key");
        return JsonSerializer.Deserialize<T>(record.ResponseJson, JsonSerializerOptions.Web);
    }

    /// <summary>Stores the answer in the current transaction (nothing when the request had no key).</summary>
    public static void Remember<T>(this DecisionsDbContext db, CommandKey key, Actor actor, T answer, DateTimeOffset now)
    {
        if (key.IdempotencyKey is null)
            return;
        db.IdempotencyKeys.Add(new IdempotencyRecord
        {
            Key = key.IdempotencyKey,
            ActorId = actor.UserId,
            RequestHash = key.RequestHash,
            ResponseJson = JsonSerializer.Serialize(answer, JsonSerializerOptions.Web),
            CreatedAt = now,
        });
    }

    /// <summary>True when a save failed because the same key was stored concurrently by the first of two identical requests.</summary>
    public static bool IsConcurrentDuplicate(this DbUpdateException e) =>
        e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation, ConstraintName: "pk_idempotency_keys" };
}
