using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>What to record; who and from which request is added by <see cref="AuditTrail"/>.</summary>
public sealed record AuditRecord(
    Guid ChainId,
    string Action,
    string Resource,
    string ResourceId,
    string ResourceName,
    Guid? ProcessId = null,
    Guid? ItemId = null,
    string? MunicipalityCode = null,
    JsonNode? Before = null,
    JsonNode? After = null,
    string? Reason = null,
    int Status = 200);

/// <summary>The request an audited change came from: set per HTTP request, "cli" or a job id otherwise.</summary>
public sealed class AuditRequestContext
{
    public string? CorrelationId { get; set; }

    public string? ClientAddress { get; set; }
}

/// <summary>
/// Appends entries to the hash chains inside the caller's open transaction, so an entry commits with its change or
/// not at all. A chain's order comes from a lock held until the transaction ends, taken before its head is read:
/// a process's chain is ordered by the process row's lock (FOR UPDATE — the lock every command on the process already
/// holds), the system chain by a PostgreSQL advisory lock. Concurrent writers to one chain queue up (no fork),
/// writers to different chains never wait for each other.
/// </summary>
public sealed class AuditTrail(DecisionsDbContext db, AuditRequestContext request, TimeProvider clock)
{
    private readonly Dictionary<Guid, (long Sequence, string Hash)> _heads = [];
    private readonly HashSet<Guid> _locked = [];

    /// <summary>
    /// Locks the process row (SELECT … FOR UPDATE) in the open transaction, once: commands on one process queue up behind
    /// it, and it orders the process's audit chain. False when there is no such process.
    /// </summary>
    public async Task<bool> LockProcessAsync(Guid processId, CancellationToken cancellationToken = default)
    {
        if (_locked.Contains(processId))
            return true;
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A process is locked inside the transaction of its change.");
        command.CommandText = "SELECT 1 FROM processes WHERE id = @id FOR UPDATE";
        command.Parameters.Add(new NpgsqlParameter("id", processId));
        if (await command.ExecuteScalarAsync(cancellationToken) is null)
            return false;
        _locked.Add(processId);
        return true;
    }

    /// <summary>
    /// The process row was locked in this transaction and its chain's head read after the lock was held (a command's
    /// first round trip, <see cref="Data.CommandRead"/>). A head this transaction already moved is kept.
    /// </summary>
    public void Locked(Guid processId, (long Sequence, string Hash)? head)
    {
        _locked.Add(processId);
        _heads.TryAdd(processId, head ?? (0, AuditHash.Genesis));
    }

    /// <summary>The process is being created in this transaction: nobody else can write to its chain, which starts empty.</summary>
    public void ChainStarted(Guid processId)
    {
        _locked.Add(processId);
        _heads.TryAdd(processId, (0, AuditHash.Genesis));
    }

    /// <summary>
    /// Runs one change as one transaction: its rows and its audit entries commit together or not at all. A transient
    /// failure retries the whole unit (EF's execution strategy), starting from a clean change tracker.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            db.Writes.Clear();
            // A unit may turn change detection off once it has saved its changes (CommandPipeline); each attempt starts with it on.
            db.ChangeTracker.AutoDetectChangesEnabled = true;
            _heads.Clear(); // chain heads read by a rolled-back attempt are stale, and its locks are gone
            _locked.Clear();
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                // A failure rolls the whole unit back and retries it: savepoints around each SaveChanges would only cost round trips.
                db.Database.AutoSavepointsEnabled = false;
                var result = await work();
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            finally
            {
                db.ChangeTracker.AutoDetectChangesEnabled = true;
                // Sent or dropped: a pooled context must not keep the last command's aggregate and statements alive.
                db.Writes.Clear();
            }
        });
    }

    public Task InTransactionAsync(Func<Task> work, CancellationToken cancellationToken) =>
        InTransactionAsync(async () =>
        {
            await work();
            return true;
        }, cancellationToken);

    public async Task AppendAsync(Actor actor, AuditRecord record, CancellationToken cancellationToken = default)
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Audit entries are written inside the transaction of the change they describe.");
        if (!_heads.TryGetValue(record.ChainId, out var head))
        {
            if (record.ChainId == AuditEntry.SystemChain)
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({SystemChainLockKey})", cancellationToken);
            else
                await LockProcessAsync(record.ChainId, cancellationToken);
            var last = await ChainHead(db, record.ChainId, cancellationToken);
            head = last is null ? (0, AuditHash.Genesis) : (last.Sequence, last.Hash);
        }

        var entry = new AuditEntry
        {
            Uuid = Guid.NewGuid(),
            ChainId = record.ChainId,
            ChainSequence = head.Sequence + 1,
            RecordedAt = AuditHash.ToMicroseconds(clock.GetUtcNow()),
            ActorId = actor.UserId,
            ActorName = actor.DisplayName,
            ActorRole = actor.Role.ToString(),
            ActorMunicipality = actor.MunicipalityCode,
            Action = record.Action,
            Resource = record.Resource,
            ResourceId = record.ResourceId,
            ResourceName = Truncate(record.ResourceName, 200),
            ProcessId = record.ProcessId,
            ItemId = record.ItemId,
            MunicipalityCode = record.MunicipalityCode,
            Before = AuditHash.CanonicalJson(record.Before),
            After = AuditHash.CanonicalJson(record.After),
            Reason = record.Reason,
            Status = record.Status,
            CorrelationId = request.CorrelationId,
            ClientAddress = request.ClientAddress,
            PreviousHash = head.Hash,
        };
        entry.Hash = AuditHash.Compute(entry);
        db.Writes.Add(db, () => WriteBatch.Command(
            "INSERT INTO audit_entries (uuid, chain_id, chain_sequence, recorded_at, actor_id, actor_name, actor_role, actor_municipality, action, " +
            "resource, resource_id, resource_name, process_id, item_id, municipality_code, before, after, reason, status, correlation_id, " +
            "client_address, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, " +
            "$21, $22, $23)",
            entry.Uuid, entry.ChainId, entry.ChainSequence, entry.RecordedAt, entry.ActorId, entry.ActorName, entry.ActorRole, entry.ActorMunicipality,
            entry.Action, entry.Resource, entry.ResourceId, entry.ResourceName, entry.ProcessId, entry.ItemId, entry.MunicipalityCode, entry.Before,
            entry.After, entry.Reason, entry.Status, entry.CorrelationId, entry.ClientAddress, entry.PreviousHash, entry.Hash), expectedRows: 1);
        _heads[record.ChainId] = (entry.ChainSequence, entry.Hash);
        Telemetry.AuditAppends.Add(1);
    }

    private sealed record Head(long Sequence, string Hash);

    private static readonly Func<DecisionsDbContext, Guid, CancellationToken, Task<Head?>> ChainHead =
        EF.CompileAsyncQuery((DecisionsDbContext db, Guid chainId, CancellationToken _) => db.AuditEntries.AsNoTracking()
            .Where(e => e.ChainId == chainId)
            .OrderByDescending(e => e.ChainSequence)
            .Select(e => new Head(e.ChainSequence, e.Hash))
            .FirstOrDefault());

    /// <summary>The advisory lock that orders the system chain (process chains are ordered by their process row's lock).</summary>
    private const long SystemChainLockKey = 0;

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..(length - 1)] + "…";
}
