using Npgsql;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>
/// A read that rides along in another read's batch: its statements are added after the others and its results read
/// in the same order, so a page that needs the process, its meetings, the colleges' names and the audit chain reads
/// them in one round trip and one snapshot (<see cref="Processes.ProcessQueries.ReadWithMeetingsAsync"/>).
/// </summary>
public abstract class SnapshotRead
{
    /// <summary>Adds this read's statements to the batch.</summary>
    public abstract void Add(NpgsqlBatch batch);

    /// <summary>Reads the results of the statements <see cref="Add"/> added; leaves the reader on the next statement's result.</summary>
    public abstract Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken);
}

/// <summary>One number read by one statement (a count), as a <see cref="SnapshotRead"/>.</summary>
public sealed class CountRead(string sql, params object?[] values) : SnapshotRead
{
    public long Value { get; private set; }

    public override void Add(NpgsqlBatch batch) => batch.BatchCommands.Add(WriteBatch.Command(sql, values));

    public override async Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        Value = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
        await reader.NextResultAsync(cancellationToken);
    }
}
