using System.Data.Common;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Jobs;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>
/// What a command reads besides its aggregate, in the same round trip: whether the process row was there to lock, the
/// process row's version (xmin, read with its lock), the head of its audit chain, its timers that still count (scheduled, fired, parked), and — for a command that names a
/// meeting — that meeting, share-locked before the process (null when there is no such meeting).
/// </summary>
public sealed record LockedRead(Guid ProcessId, bool Found, uint Version, (long Sequence, string Hash)? ChainHead, IReadOnlyList<ProcessTimer> Timers, Meeting? Meeting = null);

/// <summary>
/// A command's whole read in one round trip. The aggregate query tagged <see cref="Tag"/> is sent behind three more
/// statements in the same batch: the process row's lock (<c>FOR UPDATE</c>), the audit chain's head and the
/// process's timers — and, first of all, for a command that names a meeting (<see cref="DecisionsDbContext.ShareMeetingInLockedRead"/>),
/// that meeting's row <c>FOR SHARE</c>: meeting before process, the order a calendar change locks them in. PostgreSQL runs the statements of a batch one after another, and in READ COMMITTED each takes
/// its snapshot when it starts — after the lock is held — so what follows the lock sees everything the previous
/// holder committed (one statement that locked and read at once would read from before a lock wait, and could fork
/// the chain). The reader is handed to EF Core at the aggregate's result; the other results are kept on the context
/// (<see cref="DecisionsDbContext.TakeLockedRead"/>).
/// </summary>
public sealed class LockedReadInterceptor : DbCommandInterceptor
{
    public static readonly LockedReadInterceptor Instance = new();

    /// <summary>The query tag (EF's <c>TagWith</c>) that marks the aggregate query of a command.</summary>
    public const string Tag = "command-read: lock, chain head, timers";

    /// <summary>The meeting columns in the order <see cref="ReadMeeting"/> reads them.</summary>
    private const string MeetingColumns = "id, municipality_code, starts_at, status, note";

    /// <summary>The timer columns in the order <see cref="ReadTimer"/> reads them.</summary>
    private const string TimerColumns =
        "id, process_id, municipality_code, timer_id, instance_key, offset_days, due_at, status, hangfire_job_id, fired_at, created_at, attempts, last_error, next_attempt_at";

    /// <summary>The aggregate query as EF Core made it (tag first).</summary>
    private static bool IsCommandRead(DbCommand command) => command.CommandText.StartsWith("-- " + Tag, StringComparison.Ordinal);

    /// <summary>The same after <see cref="Prepend"/>: the locks first (the meeting's, if any, then the process's), the tagged aggregate query last.</summary>
    private static bool IsPrepended(DbCommand command) =>
        (command.CommandText.StartsWith(LockStatement, StringComparison.Ordinal) || command.CommandText.StartsWith(MeetingStatement, StringComparison.Ordinal))
        && command.CommandText.Contains("-- " + Tag, StringComparison.Ordinal);

    private const string LockStatement = "SELECT xmin FROM processes WHERE id = ";

    private const string MeetingStatement = "SELECT " + MeetingColumns + " FROM meetings WHERE id = ";

    private const string MeetingParameter = "locked_meeting_id";

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Prepend(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Prepend(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        if (!IsPrepended(command))
            return result;
        Meeting? meeting = null;
        if (HasMeeting(command))
        {
            meeting = result.Read() ? ReadMeeting(result) : null;
            result.NextResult();
        }
        var found = result.Read();
        var version = found ? result.GetFieldValue<uint>(0) : 0;
        result.NextResult();
        (long, string)? head = result.Read() ? (result.GetInt64(0), result.GetString(1)) : null;
        result.NextResult();
        var timers = new List<ProcessTimer>();
        while (result.Read())
            timers.Add(ReadTimer(result));
        result.NextResult();
        Keep(eventData, command, found, version, head, timers, meeting);
        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        if (!IsPrepended(command))
            return result;
        Meeting? meeting = null;
        if (HasMeeting(command))
        {
            meeting = await result.ReadAsync(cancellationToken) ? ReadMeeting(result) : null;
            await result.NextResultAsync(cancellationToken);
        }
        var found = await result.ReadAsync(cancellationToken);
        var version = found ? result.GetFieldValue<uint>(0) : 0;
        await result.NextResultAsync(cancellationToken);
        (long, string)? head = await result.ReadAsync(cancellationToken) ? (result.GetInt64(0), result.GetString(1)) : null;
        await result.NextResultAsync(cancellationToken);
        var timers = new List<ProcessTimer>();
        while (await result.ReadAsync(cancellationToken))
            timers.Add(ReadTimer(result));
        await result.NextResultAsync(cancellationToken);
        Keep(eventData, command, found, version, head, timers, meeting);
        return result;
    }

    private static bool HasMeeting(DbCommand command) => command.Parameters.Contains(MeetingParameter);

    private static void Prepend(DbCommand command, CommandEventData eventData)
    {
        if (!IsCommandRead(command))
            return;
        if (command.Parameters.Count != 1 || command.Parameters[0].Value is not Guid)
            throw new InvalidOperationException("The command read takes exactly one parameter, the process id.");
        var id = "@" + command.Parameters[0].ParameterName.TrimStart('@');
        var meeting = "";
        if (Context(eventData).TakeMeetingToShare() is { } meetingId)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = MeetingParameter;
            parameter.Value = meetingId;
            command.Parameters.Add(parameter);
            meeting = $"{MeetingStatement}@{MeetingParameter} FOR SHARE;\n";
        }
        command.CommandText = meeting +
            $"{LockStatement}{id} FOR UPDATE;\n" +
            $"SELECT chain_sequence, hash FROM audit_entries WHERE chain_id = {id} ORDER BY chain_sequence DESC LIMIT 1;\n" +
            // Cancelled rows are history: the reconciliation compares with the others only.
            $"SELECT {TimerColumns} FROM timers WHERE process_id = {id} AND status <> 'Cancelled';\n" +
            command.CommandText;
    }

    private static void Keep(CommandExecutedEventData eventData, DbCommand command, bool found, uint version, (long, string)? head, List<ProcessTimer> timers,
        Meeting? meeting) =>
        Context(eventData).KeepLockedRead(new LockedRead((Guid)command.Parameters[0].Value!, found, version, head, timers, meeting));

    private static DecisionsDbContext Context(CommandEventData eventData) =>
        eventData.Context as DecisionsDbContext ?? throw new InvalidOperationException("The command read runs on the decisions context.");

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
