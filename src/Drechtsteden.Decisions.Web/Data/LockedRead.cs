using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Jobs;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>
/// What a command reads, in one round trip: its aggregate under the process row's lock, the row's version (xmin), the
/// head of its audit chain and its timers that still count (scheduled, fired, parked).
/// </summary>
public sealed record LockedRead(DecisionProcess Process, uint Version, (long Sequence, string Hash)? ChainHead, IReadOnlyList<ProcessTimer> Timers);

/// <summary>
/// A command's whole read in one round trip (an <see cref="NpgsqlBatch"/>, by hand): first, for a command that names a
/// meeting, that meeting's row <c>FOR SHARE</c> (meeting before process, the order a calendar change locks them in);
/// then the process row <c>FOR UPDATE</c> with its columns and version; then its concept versions, items and decisions
/// (<see cref="ProcessReader"/>), the audit chain's head and the process's timers. PostgreSQL runs the statements
/// of a batch one after another and, in READ COMMITTED, each takes its snapshot when it starts — after the lock is held
/// — so what follows the lock sees everything the previous holder committed (one statement that locked and read the
/// other tables at once would read from before a lock wait, and could fork the chain); the locked row itself is
/// returned as the lock found it, its newest version.
/// </summary>
public static class CommandRead
{
    /// <summary>The meeting columns in the order <see cref="ReadMeeting"/> reads them.</summary>
    private const string MeetingColumns = "id, municipality_code, starts_at, status, note";

    /// <summary>The timer columns in the order <see cref="ReadTimer"/> reads them.</summary>
    private const string TimerColumns =
        "id, process_id, municipality_code, timer_id, instance_key, offset_days, due_at, status, hangfire_job_id, fired_at, created_at, attempts, last_error, next_attempt_at";

    /// <summary>Locks and reads, in the open transaction; null when there is no such process (the meeting is read all the same).</summary>
    public static async Task<(LockedRead? Read, Meeting? Meeting)> ReadAsync(DecisionsDbContext db, Guid processId, Guid? meetingId, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction
            ?? throw new InvalidOperationException("A process is locked inside the transaction of its change.");
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), transaction);
        if (meetingId is { } meeting)
            batch.BatchCommands.Add(WriteBatch.Command($"SELECT {MeetingColumns} FROM meetings WHERE id = $1 FOR SHARE", meeting));
        batch.BatchCommands.Add(WriteBatch.Command($"SELECT {ProcessReader.ProcessColumns} FROM processes WHERE id = $1 FOR UPDATE", processId));
        ProcessReader.AddChildReads(batch, processId);
        batch.BatchCommands.Add(WriteBatch.Command("SELECT chain_sequence, hash FROM audit_entries WHERE chain_id = $1 ORDER BY chain_sequence DESC LIMIT 1", processId));
        // Cancelled rows are history: the reconciliation compares with the others only.
        batch.BatchCommands.Add(WriteBatch.Command($"SELECT {TimerColumns} FROM timers WHERE process_id = $1 AND status <> 'Cancelled'", processId));
        await using var r = await batch.ExecuteReaderAsync(cancellationToken);
        Meeting? shared = null;
        if (meetingId is not null)
        {
            shared = await r.ReadAsync(cancellationToken) ? ReadMeeting(r) : null;
            await r.NextResultAsync(cancellationToken);
        }
        var aggregate = await ProcessReader.ReadAsync(r, cancellationToken);
        (long, string)? head = await r.ReadAsync(cancellationToken) ? (r.GetInt64(0), r.GetString(1)) : null;
        await r.NextResultAsync(cancellationToken);
        var timers = new List<ProcessTimer>();
        while (await r.ReadAsync(cancellationToken))
            timers.Add(ReadTimer(r));
        return (aggregate is { } a ? new LockedRead(a.Process, a.Version, head, timers) : null, shared);
    }

    /// <summary>One meeting row, as EF Core would materialize it (a test compares the two).</summary>
    private static Meeting ReadMeeting(DbDataReader r) =>
        Meeting.FromStored(r.GetGuid(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), Enum.Parse<MeetingStatus>(r.GetString(3)), r.IsDBNull(4) ? null : r.GetString(4));

    /// <summary>One timer row, as EF Core would materialize it (a test compares the two).</summary>
    private static ProcessTimer ReadTimer(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        ProcessId = r.GetGuid(1),
        MunicipalityCode = r.IsDBNull(2) ? null : r.GetString(2),
        TimerId = r.GetString(3),
        InstanceKey = r.GetString(4),
        OffsetDays = r.GetInt32(5),
        DueAt = r.GetFieldValue<DateTimeOffset>(6),
        Status = Enum.Parse<TimerStatus>(r.GetString(7)),
        HangfireJobId = r.IsDBNull(8) ? null : r.GetString(8),
        FiredAt = r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(10),
        Attempts = r.GetInt32(11),
        LastError = r.IsDBNull(12) ? null : r.GetString(12),
        NextAttemptAt = r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
    };
}
