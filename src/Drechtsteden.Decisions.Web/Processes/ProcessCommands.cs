using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Processes;

/// <summary>What a command answers, and what a retry with the same Idempotency-Key gets again.</summary>
public sealed record CommandResponse(Guid ProcessId, string State, uint Version, IReadOnlyList<string> Warnings, IReadOnlyList<StateChange> Changes)
{
    /// <summary>True when this is the stored answer to an earlier request with the same key.</summary>
    public bool Replayed { get; init; }
}

/// <summary>The client's copy is stale: the process changed since the version it sent in If-Match.</summary>
public sealed class StaleVersionException(uint expected, uint actual)
    : Exception($"The process changed since you loaded it (version {expected}, now {actual}); reload and try again.");

/// <summary>A command's identity for idempotency: a key chosen by the client, and what the request was.</summary>
public sealed record CommandKey(string? IdempotencyKey, string Command, object Payload);

/// <summary>
/// Runs process commands as single PostgreSQL transactions: the process row is locked (FOR UPDATE), so commands on
/// one process are serialized and the second of two conflicting commands sees the first one's result; the state
/// change, its audit entries and the idempotency record commit together or not at all.
/// </summary>
public sealed class ProcessCommands(DecisionsDbContext db, DecisionWorkflow workflow, WorkflowCatalog catalog, AuditTrail audit, TimeProvider clock)
{
    public async Task<CommandResponse> StartAsync(StartProcess command, string regionCode, Actor actor, CommandKey key, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await RunAsync(key, actor, StatusCodes.Status201Created, async () =>
        {
            var region = await db.Regions.FindAsync([regionCode], cancellationToken)
                ?? throw DomainException.NotFound("region-not-found", $"Region '{regionCode}' does not exist.");
            var (process, result) = workflow.Start(command, region, actor, clock.GetUtcNow());
            db.Processes.Add(process);
            return (process, null, result);
        }, cancellationToken);
    }

    /// <summary>Runs a command on an existing process. <paramref name="expectedVersion"/> is the client's If-Match.</summary>
    public async Task<CommandResponse> ExecuteAsync(Guid processId, Actor actor, CommandKey key, uint? expectedVersion,
        Func<DecisionProcess, DateTimeOffset, Task<CommandResult>> command, CancellationToken cancellationToken = default)
    {
        await EnsureCatalogAsync(cancellationToken);
        return await RunAsync(key, actor, StatusCodes.Status200OK, async () =>
        {
            var locked = await db.Database.SqlQuery<Guid>($"SELECT id AS \"Value\" FROM processes WHERE id = {processId} FOR UPDATE").ToListAsync(cancellationToken);
            if (locked.Count == 0)
                throw DomainException.NotFound("process-not-found", $"Process {processId} does not exist.");
            var process = await db.ProcessAggregates.FirstAsync(p => p.Id == processId, cancellationToken);
            var version = VersionOf(process);
            if (expectedVersion is { } expected && expected != version)
                throw new StaleVersionException(expected, version);
            var before = ProcessAudit.Take(process);
            var result = await command(process, clock.GetUtcNow());
            return (process, before, result);
        }, cancellationToken);
    }

    public uint VersionOf(DecisionProcess process) => db.Entry(process).Property<uint>("Version").CurrentValue;

    private async Task<CommandResponse> RunAsync(CommandKey key, Actor actor, int status,
        Func<Task<(DecisionProcess Process, ProcessAudit.Snapshot? Before, CommandResult Result)>> work, CancellationToken cancellationToken)
    {
        var requestHash = key.IdempotencyKey is null ? "" : HashOf(key);
        if (key.IdempotencyKey is not null && await ReplayAsync(key.IdempotencyKey, actor, requestHash, cancellationToken) is { } earlier)
            return earlier;

        var strategy = db.Database.CreateExecutionStrategy();
        try
        {
            return await strategy.ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                audit.BeginAttempt();
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var (process, before, result) = await work();
                foreach (var record in ProcessAudit.RecordsFor(before, process, result, status))
                    await audit.AppendAsync(actor, record, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                var response = new CommandResponse(process.Id, process.State, VersionOf(process), result.Warnings, result.Changes);
                if (key.IdempotencyKey is not null)
                {
                    db.IdempotencyKeys.Add(new IdempotencyRecord
                    {
                        Key = key.IdempotencyKey,
                        ActorId = actor.UserId,
                        RequestHash = requestHash,
                        ResponseJson = JsonSerializer.Serialize(response, JsonSerializerOptions.Web),
                        CreatedAt = clock.GetUtcNow(),
                    });
                    await db.SaveChangesAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                return response;
            });
        }
        catch (DbUpdateException e) when (key.IdempotencyKey is not null && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "pk_idempotency_keys" })
        {
            // The same request ran concurrently and committed first: answer what it answered.
            db.ChangeTracker.Clear();
            return await ReplayAsync(key.IdempotencyKey, actor, requestHash, cancellationToken)
                ?? throw new InvalidOperationException("The idempotency record vanished.");
        }
        catch (DbUpdateConcurrencyException)
        {
            throw DomainException.Conflict("concurrent-change", "Someone else changed this item at the same moment; reload and try again.");
        }
    }

    private async Task<CommandResponse?> ReplayAsync(string idempotencyKey, Actor actor, string requestHash, CancellationToken cancellationToken)
    {
        var record = await db.IdempotencyKeys.AsNoTracking().FirstOrDefaultAsync(r => r.Key == idempotencyKey, cancellationToken);
        if (record is null)
            return null;
        if (record.ActorId != actor.UserId || record.RequestHash != requestHash)
            throw DomainException.Invalid("idempotency-key-reused", "This Idempotency-Key was already used for another request; use a new key for a new request.", "Idempotency-Key");
        return JsonSerializer.Deserialize<CommandResponse>(record.ResponseJson, JsonSerializerOptions.Web)! with { Replayed = true };
    }

    private async Task EnsureCatalogAsync(CancellationToken cancellationToken)
    {
        if (!catalog.IsLoaded)
            await catalog.LoadAsync(db, audit, clock, cancellationToken);
    }

    private static string HashOf(CommandKey key) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key.Command + "\n" + JsonSerializer.Serialize(key.Payload, JsonSerializerOptions.Web)))).ToLowerInvariant();
}
