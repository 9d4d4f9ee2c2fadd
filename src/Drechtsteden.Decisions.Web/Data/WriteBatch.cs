using System.Data.Common;
using Drechtsteden.Decisions.Processes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>One statement: made when the batch is sent (so it writes the row as it is then), with what reads its RETURNING row and the rows it must change.</summary>
public sealed record WriteBatchEntry(Func<NpgsqlBatchCommand> Make, Action<NpgsqlDataReader>? Read = null, int? ExpectedRows = null);

/// <summary>
/// A command's writes, by hand, in one round trip. What a command changes — its aggregate (<see cref="ProcessRows"/>:
/// compared with what was read, only what changed is written), its audit entries, its timers, its webhook events — is
/// collected here while the command runs and sent as one <see cref="NpgsqlBatch"/> when the context saves
/// (<see cref="DecisionsDbContext.SaveChangesAsync(bool, CancellationToken)"/>), before whatever EF Core tracks. EF Core
/// still reads the aggregate (untracked); it no longer keeps a snapshot of it or compares it, and its update pipeline
/// is not in a command's path (issue 19: 35 % of the app's CPU per command was EF Core).
/// <para>
/// The writes belong to the transaction they were collected in: a write collected in another one (a rolled-back
/// attempt, an earlier user of a pooled context) is dropped, never sent.
/// </para>
/// </summary>
public sealed class WriteBatch
{
    private readonly List<WriteBatchEntry> _writes = [];
    private readonly List<ProcessRows> _aggregates = [];
    private DbTransaction? _transaction;


    /// <summary>Nothing collected and no aggregate held (after a transaction: a pooled context keeps nothing of the last command).</summary>
    public bool IsEmpty => _writes.Count == 0 && _aggregates.Count == 0 && _transaction is null;

    /// <summary>Forgets everything collected (a new attempt, a new transaction, the end of one).</summary>
    public void Clear()
    {
        _writes.Clear();
        _aggregates.Clear();
        _transaction = null;
    }

    /// <summary>A statement to send with the others; <paramref name="read"/> reads its RETURNING row; <paramref name="expectedRows"/> is checked.</summary>
    public void Add(DecisionsDbContext db, Func<NpgsqlBatchCommand> make, Action<NpgsqlDataReader>? read = null, int? expectedRows = null)
    {
        Bind(db);
        _writes.Add(new WriteBatchEntry(make, read, expectedRows));
    }

    /// <summary>
    /// A process read (or created) in this transaction: its changes are written when the batch is sent. A process read
    /// a second time in one transaction (a calendar change) is the one read first: that is the one that changes.
    /// </summary>
    public ProcessRows Track(DecisionsDbContext db, DecisionProcess process, uint? version)
    {
        Bind(db);
        var existing = _aggregates.Find(a => a.Process.Id == process.Id);
        if (existing is not null)
            return existing;
        var rows = new ProcessRows(process, version);
        _aggregates.Add(rows);
        return rows;
    }

    /// <summary>The process's row version (xmin) as last read or written in this transaction.</summary>
    public uint VersionOf(DecisionProcess process) =>
        _aggregates.Find(a => a.Process.Id == process.Id)?.Version
        ?? throw new InvalidOperationException($"Process {process.Id} was not read or created through the command pipeline.");

    private void Bind(DecisionsDbContext db)
    {
        var current = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A change is written inside the transaction of the command it belongs to.");
        if (!ReferenceEquals(current, _transaction))
        {
            Clear();
            _transaction = current;
        }
    }

    /// <summary>Sends what was collected, in one round trip; the number of rows written.</summary>
    public async Task<int> FlushAsync(DecisionsDbContext db, CancellationToken cancellationToken)
    {
        if (Prepare(db) is not { } batch)
            return 0;
        await using (batch.Batch)
        {
            await using (var reader = await batch.Batch.ExecuteReaderAsync(cancellationToken))
            {
                foreach (var write in batch.Writes)
                {
                    if (write.Read is null)
                        continue;
                    if (!await reader.ReadAsync(cancellationToken))
                        throw new InvalidOperationException("A write returned no row.");
                    write.Read(reader);
                    await reader.NextResultAsync(cancellationToken);
                }
            }
            return Finish(batch);
        }
    }

    /// <summary>
    /// EF Core's synchronous SaveChanges (ASP.NET Core's data protection keys use it): a command's writes are sent
    /// asynchronously only, so there must be none.
    /// </summary>
    public void EnsureNoneForSynchronousSave(DecisionsDbContext db)
    {
        var current = db.Database.CurrentTransaction?.GetDbTransaction();
        if (current is not null && ReferenceEquals(current, _transaction) && (_writes.Count > 0 || _aggregates.Count > 0))
            throw new InvalidOperationException("A command's writes are saved with SaveChangesAsync.");
    }

    private sealed record Prepared(NpgsqlBatch Batch, List<WriteBatchEntry> Writes);

    private Prepared? Prepare(DecisionsDbContext db)
    {
        var current = db.Database.CurrentTransaction?.GetDbTransaction();
        if (current is null || !ReferenceEquals(current, _transaction))
        {
            // Collected in a transaction that is gone: it rolled back, and so must they.
            Clear();
            return null;
        }
        // The aggregates first: a new process's row before its timers and children.
        var writes = new List<WriteBatchEntry>();
        foreach (var aggregate in _aggregates)
            aggregate.AddChanges(writes.Add);
        writes.AddRange(_writes);
        _writes.Clear();
        if (writes.Count == 0)
            return null;
        var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)current);
        foreach (var write in writes)
            batch.BatchCommands.Add(write.Make());
        return new Prepared(batch, writes);
    }

    private static int Finish(Prepared batch)
    {
        var rows = 0;
        for (var i = 0; i < batch.Writes.Count; i++)
        {
            var affected = batch.Batch.BatchCommands[i].RecordsAffected;
            if (batch.Writes[i].ExpectedRows is { } expected && affected != expected)
                throw new InvalidOperationException($"A write changed {affected} rows where {expected} were expected: {batch.Batch.BatchCommands[i].CommandText}");
            rows += affected;
        }
        return rows;
    }

    /// <summary>A statement with positional parameters ($1, $2, …).</summary>
    public static NpgsqlBatchCommand Command(string sql, params ReadOnlySpan<object?> values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }

    /// <summary>A JSON parameter (jsonb column).</summary>
    public static NpgsqlParameter Json(string json) => new() { Value = json, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb };
}
