using System.Globalization;
using System.Text;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Drechtsteden.Decisions.Web.Audit.Log;

public sealed class AuditLogOptions
{
    /// <summary>Off only to measure what the log costs (the benchmark); verification then answers "niet verankerd".</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The log key's name; a database's origin is this name, a slash and the database's log id.</summary>
    public string Name { get; set; } = "drechtsteden-decisions";

    /// <summary>The log's private key, "PRIVATE+KEY+name+id+base64" (never stored in PostgreSQL).</summary>
    public string? SigningKey { get; set; }

    /// <summary>File holding the private key; outside Production it is created (owner-only) in the data folder when missing.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>How often the log writer looks for committed entries; a checkpoint follows each round that added some.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Entries per round trip of the writer.</summary>
    public int Batch { get; set; } = 20_000;
}

public sealed class WitnessOptions
{
    public Uri? Url { get; set; }

    /// <summary>The witness's verifier key, "name+id+base64" (type 0x04): its cosignatures are checked with it.</summary>
    public string? Key { get; set; }
}

/// <summary>A witness the log pushes its checkpoints to and verification asks.</summary>
public sealed record WitnessEndpoint(Uri Url, NoteKey Key)
{
    public string Name => Key.Name;
}

/// <summary>The witnesses known to this host: configured ones, and the embedded one once it runs.</summary>
public sealed class WitnessDirectory
{
    private readonly Lock _lock = new();
    private readonly List<WitnessEndpoint> _witnesses = [];

    public IReadOnlyList<WitnessEndpoint> All
    {
        get
        {
            lock (_lock)
                return [.. _witnesses];
        }
    }

    public List<string> Problems { get; } = [];

    public void Add(WitnessEndpoint witness)
    {
        lock (_lock)
            _witnesses.Add(witness);
    }
}

/// <summary>The log's key: loaded once; a key that cannot be read is reported (the log stops signing), never fatal at start-up.</summary>
public sealed class LogKey
{
    public LogKey(AuditLogOptions options, string dataDirectory, bool production, ILogger<LogKey> logger)
    {
        try
        {
            if (!string.IsNullOrWhiteSpace(options.SigningKey))
            {
                Key = NoteKey.ParsePrivate(options.SigningKey);
                return;
            }
            var file = options.SigningKeyFile;
            if (file is null)
            {
                if (production)
                {
                    Problem = "Audit__Log__SigningKey or Audit__Log__SigningKeyFile is not set: the audit log signs no checkpoints.";
                    logger.LogError("{Problem}", Problem);
                    return;
                }
                file = Path.Combine(dataDirectory, "audit-log.key");
            }
            Key = NoteKey.ParsePrivate(SecretFiles.ReadOrCreate(file, () => NoteKey.Generate(options.Name, NoteKey.LogType).PrivateKeyText));
            if (Key.Type != NoteKey.LogType)
                throw new FormatException("it is not a log key");
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Key = null;
            Problem = $"The audit log's signing key cannot be read ({e.Message}): no checkpoints are signed until it is restored.";
            logger.LogError("{Problem}", Problem);
        }
    }

    public NoteKey? Key { get; }

    public string? Problem { get; }
}

/// <summary>A checkpoint as a witness cosigned it: verified against the log's key and the witness's key.</summary>
public sealed record WitnessedCheckpoint(Checkpoint Checkpoint, string Witness, DateTimeOffset CosignedAt, SignedNote Note, bool FromWitness);

/// <summary>
/// The transparency log over the audit trail (RFC 9162, C2SP checkpoints). One writer at a time — the state row's lock
/// orders writers of all hosts — appends the entries that committed, in (transaction, id) order, and only entries of
/// transactions older than every transaction still running: an entry that commits late is taken in a later round,
/// never skipped. Each round that added entries signs a checkpoint; the checkpoints go to the witnesses, which
/// cosign only what is consistent with what they cosigned before.
/// </summary>
public sealed class TransparencyLog(
    AuditLogOptions options, LogKey key, WitnessDirectory witnesses, IServiceScopeFactory scopes, IHttpClientFactory http, TimeProvider clock, ILogger<TransparencyLog> logger)
{
    private const int TileSize = 256;
    private readonly Lock _cacheLock = new();
    private readonly Dictionary<(Guid Log, long Start, long Size), byte[]> _perfect = [];
    private readonly Dictionary<string, long> _cosignedSize = new(StringComparer.Ordinal);
    private string? _connectionString;

    public bool Enabled => options.Enabled && key.Key is not null;

    public NoteKey? Key => key.Key;

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connectionString is null)
        {
            await using var scope = scopes.CreateAsyncScope();
            _connectionString = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().Database.GetConnectionString();
        }
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public string OriginOf(Guid logId) => $"{options.Name}/{logId:N}";

    /// <summary>The log's state: id (null before the first round), size, root.</summary>
    public async Task<(Guid? LogId, long Size)> StateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT log_id, tree_size FROM audit_log_state WHERE id = 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetInt64(1)) : (null, 0);
    }

    /// <summary>Appends every committed entry not yet in the log and signs a checkpoint; returns it, or null when nothing was added.</summary>
    public async Task<Checkpoint?> AppendAsync(CancellationToken cancellationToken = default)
    {
        if (!Enabled)
            return null;
        Checkpoint? latest = null;
        while (true)
        {
            var (checkpoint, full) = await AppendRoundAsync(cancellationToken);
            latest = checkpoint ?? latest;
            if (!full)
                return latest;
        }
    }

    private async Task<(Checkpoint? Checkpoint, bool Full)> AppendRoundAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid? logId;
        long size;
        byte[] frontierBytes;
        string positionTx;
        long positionId;
        await using (var state = new NpgsqlCommand("SELECT log_id, tree_size, frontier, position_tx::text, position_id FROM audit_log_state WHERE id = 1 FOR UPDATE", connection, transaction))
        await using (var reader = await state.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
                throw new InvalidOperationException("audit_log_state has no row: the database is not migrated.");
            logId = reader.IsDBNull(0) ? null : reader.GetGuid(0);
            size = reader.GetInt64(1);
            frontierBytes = (byte[])reader.GetValue(2);
            positionTx = reader.GetString(3);
            positionId = reader.GetInt64(4);
        }
        if (logId is null)
        {
            await using var create = new NpgsqlCommand("UPDATE audit_log_state SET log_id = gen_random_uuid() WHERE id = 1 RETURNING log_id", connection, transaction);
            logId = (Guid)(await create.ExecuteScalarAsync(cancellationToken))!;
        }

        var ids = new List<long>();
        var chains = new List<Guid>();
        var sequences = new List<long>();
        var leaves = new List<byte[]>();
        string? lastTx = null;
        // The text form of tx needs a name of its own: "ORDER BY tx" would otherwise sort by the output column, as
        // text ("1000" before "999"), and the position would fall behind entries already taken.
        await using (var select = new NpgsqlCommand("""
            SELECT id, chain_id, chain_sequence, hash, tx::text AS tx_text FROM audit_entries
            WHERE (tx, id) > ($1::xid8, $2) AND tx < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx, id LIMIT $3
            """, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = positionTx });
            select.Parameters.Add(new NpgsqlParameter { Value = positionId });
            select.Parameters.Add(new NpgsqlParameter { Value = options.Batch });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
                chains.Add(reader.GetGuid(1));
                sequences.Add(reader.GetInt64(2));
                leaves.Add(Merkle.LeafHash(Convert.FromHexString(reader.GetString(3))));
                lastTx = reader.GetString(4);
            }
        }
        if (ids.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (null, false);
        }

        var frontier = Frontier.Deserialize(size, frontierBytes);
        foreach (var leaf in leaves)
            frontier.Append(leaf);
        var checkpoint = new Checkpoint(OriginOf(logId.Value), frontier.Size, frontier.Root());
        var note = new SignedNote(checkpoint.Body, [key.Key!.Sign(checkpoint.Body)]);

        await using var batch = new NpgsqlBatch(connection, transaction);
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO audit_log (leaf_index, entry_id, chain_id, chain_sequence, leaf_hash)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::bigint[], $5::bytea[])
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(0, ids.Count).Select(i => size + i).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = chains.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = sequences.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = leaves.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        batch.BatchCommands.Add(insert);
        var update = new NpgsqlBatchCommand("UPDATE audit_log_state SET tree_size = $1, frontier = $2, position_tx = $3::xid8, position_id = $4 WHERE id = 1");
        update.Parameters.Add(new NpgsqlParameter { Value = frontier.Size });
        update.Parameters.Add(new NpgsqlParameter { Value = frontier.Serialize() });
        update.Parameters.Add(new NpgsqlParameter { Value = lastTx! });
        update.Parameters.Add(new NpgsqlParameter { Value = ids[^1] });
        batch.BatchCommands.Add(update);
        var save = new NpgsqlBatchCommand("INSERT INTO audit_checkpoints (tree_size, root, note, signed_at) VALUES ($1, $2, $3, $4)");
        save.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Size });
        save.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Root });
        save.Parameters.Add(new NpgsqlParameter { Value = note.ToString() });
        save.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        batch.BatchCommands.Add(save);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Telemetry.LogCheckpoints.Add(1);
        return (checkpoint, ids.Count == options.Batch);
    }

    /// <summary>The latest checkpoint the log signed, with its note.</summary>
    public async Task<(Checkpoint Checkpoint, SignedNote Note)?> LatestSignedAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is string text && SignedNote.Parse(text) is { } note && Checkpoint.Parse(note.Text) is { } checkpoint
            ? (checkpoint, note)
            : null;
    }

    /// <summary>Sends the latest checkpoint to every witness that has not cosigned it; returns how many cosigned now.</summary>
    public async Task<int> PushAsync(CancellationToken cancellationToken = default)
    {
        if (!Enabled || await LatestSignedAsync(cancellationToken) is not { } latest)
            return 0;
        var cosigned = 0;
        foreach (var witness in witnesses.All)
        {
            try
            {
                if (await PushAsync(witness, latest.Checkpoint, latest.Note, cancellationToken))
                    cosigned++;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Witness {Witness} at {Url} did not answer: {Reason}", witness.Name, witness.Url, e.Message);
            }
        }
        return cosigned;
    }

    private async Task<bool> PushAsync(WitnessEndpoint witness, Checkpoint checkpoint, SignedNote note, CancellationToken cancellationToken)
    {
        var known = await CosignedSizeAsync(witness, cancellationToken);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (known == checkpoint.Size)
                return false;
            if (known > checkpoint.Size)
            {
                logger.LogCritical("Witness {Witness} has cosigned a log of {Known} entries, but the log has only {Size}: the log was rolled back or replaced",
                    witness.Name, known, checkpoint.Size);
                return false;
            }
            var logId = Guid.ParseExact(checkpoint.Origin[(checkpoint.Origin.LastIndexOf('/') + 1)..], "N");
            var proof = await ProofAsync(logId, Merkle.ConsistencyRanges(known, checkpoint.Size), cancellationToken);
            using var content = new StringContent(Witness.Request(known, proof, note.ToString()), Encoding.UTF8, "text/plain");
            using var client = http.CreateClient(nameof(TransparencyLog));
            client.Timeout = TimeSpan.FromSeconds(5);
            using var response = await client.PostAsync(new Uri(witness.Url, "add-checkpoint"), content, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.Conflict && long.TryParse(body.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var theirs))
            {
                known = theirs;
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                logger.LogError("Witness {Witness} refused checkpoint {Size}: {Status} {Reason}", witness.Name, checkpoint.Size, (int)response.StatusCode, body.Trim());
                return false;
            }
            var signature = SignedNote.Parse(note.Text + "\n" + body)?.Signatures.FirstOrDefault(s => witness.Key.VerifiesCosignature(note.Text, s) is not null);
            if (signature is null)
            {
                logger.LogError("Witness {Witness} answered checkpoint {Size} without a valid cosignature", witness.Name, checkpoint.Size);
                return false;
            }
            await using var connection = await OpenAsync(cancellationToken);
            await using var insert = new NpgsqlCommand(
                "INSERT INTO audit_cosignatures (witness, tree_size, note, cosigned_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = witness.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Size });
            insert.Parameters.Add(new NpgsqlParameter { Value = note.With(signature).ToString() });
            insert.Parameters.Add(new NpgsqlParameter { Value = witness.Key.VerifiesCosignature(note.Text, signature)!.Value });
            await insert.ExecuteNonQueryAsync(cancellationToken);
            lock (_cacheLock)
                _cosignedSize[witness.Name] = checkpoint.Size;
            return true;
        }
        return false;
    }

    private async Task<long> CosignedSizeAsync(WitnessEndpoint witness, CancellationToken cancellationToken)
    {
        lock (_cacheLock)
        {
            if (_cosignedSize.TryGetValue(witness.Name, out var size))
                return size;
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT coalesce(max(tree_size), 0) FROM audit_cosignatures WHERE witness = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = witness.Name });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The latest checkpoint any witness cosigned for this database's log: asked of the witnesses themselves (a
    /// database superuser cannot take it back), else the cosigned checkpoints kept in the database (unforgeable,
    /// but the newest could have been deleted). Null when there is none.
    /// </summary>
    public async Task<(WitnessedCheckpoint? Latest, List<string> Problems)> LatestWitnessedAsync(Guid logId, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var found = new List<WitnessedCheckpoint>();
        var origin = OriginOf(logId);
        if (key.Key is not { } logKey)
            return (null, [key.Problem ?? "the audit log has no key"]);
        problems.AddRange(witnesses.Problems);
        if (witnesses.All.Count == 0)
            problems.Add("er is geen getuige ingesteld (Audit__Witnesses)");
        foreach (var witness in witnesses.All)
        {
            try
            {
                using var client = http.CreateClient(nameof(TransparencyLog));
                client.Timeout = TimeSpan.FromSeconds(5);
                using var response = await client.GetAsync(new Uri(witness.Url, $"checkpoint?origin={Uri.EscapeDataString(origin)}"), cancellationToken);
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
                    continue;
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    problems.Add($"getuige {witness.Name}: {text.Trim()}");
                    continue;
                }
                if (Verified(text, witness, logKey, origin, fromWitness: true) is { } checkpoint)
                    found.Add(checkpoint);
                else
                    problems.Add($"getuige {witness.Name} gaf een checkpoint dat niet klopt");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                problems.Add($"getuige {witness.Name} ({witness.Url}) is niet bereikbaar");
            }
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(LatestCosignaturesQuery, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var witness = witnesses.All.FirstOrDefault(w => w.Name == reader.GetString(0));
            if (witness is not null && Verified(reader.GetString(1), witness, logKey, origin, fromWitness: false) is { } stored)
                found.Add(stored);
        }
        return (found.OrderByDescending(c => c.Checkpoint.Size).ThenByDescending(c => c.FromWitness).FirstOrDefault(), problems);
    }

    /// <summary>
    /// Each witness's latest stored cosignature (witness, note): a skip over the (witness, tree_size) key, one index probe
    /// per witness, however many cosignatures the table keeps (one per checkpoint, every second under load) — where
    /// DISTINCT ON read and sorted them all, on every view of a process page.
    /// </summary>
    public const string LatestCosignaturesQuery = """
        WITH RECURSIVE w(witness) AS (
            (SELECT witness FROM audit_cosignatures ORDER BY witness LIMIT 1)
            UNION ALL
            SELECT (SELECT c.witness FROM audit_cosignatures c WHERE c.witness > w.witness ORDER BY c.witness LIMIT 1) FROM w WHERE w.witness IS NOT NULL)
        SELECT w.witness, latest.note FROM w
        CROSS JOIN LATERAL (SELECT c.note FROM audit_cosignatures c WHERE c.witness = w.witness ORDER BY c.tree_size DESC LIMIT 1) latest
        WHERE w.witness IS NOT NULL
        """;

    /// <summary>The verifier key of a known witness, by name.</summary>
    public string? WitnessKeyOf(string name) => witnesses.All.FirstOrDefault(w => w.Name == name)?.Key.Verifier.VerifierKey;

    /// <summary>A cosigned checkpoint kept in the database, checked against the log's key and the known witnesses' keys.</summary>
    public WitnessedCheckpoint? VerifyStored(string text, Guid logId)
    {
        if (key.Key is not { } logKey)
            return null;
        // The answer depends on the text, the log and the witnesses only (they are only ever added, at the end): every
        // process page checks the same latest cosignature, so the last answer is kept (two signature checks saved).
        var all = witnesses.All;
        if (_lastStored is { } last && last.Text == text && last.Log == logId && last.Witnesses == all.Count)
            return last.Result;
        var result = all.Select(w => Verified(text, w, logKey, OriginOf(logId), fromWitness: false)).FirstOrDefault(c => c is not null);
        _lastStored = new StoredVerification(text, logId, all.Count, result);
        return result;
    }

    private sealed record StoredVerification(string Text, Guid Log, int Witnesses, WitnessedCheckpoint? Result);

    private volatile StoredVerification? _lastStored;

    /// <summary>True when the note carries a valid signature of this log's key.</summary>
    public bool VerifiesSignature(string text) =>
        key.Key is { } logKey && SignedNote.Parse(text) is { } note && note.Signatures.Any(s => logKey.Verifies(note.Text, s));

    private static WitnessedCheckpoint? Verified(string text, WitnessEndpoint witness, NoteKey logKey, string origin, bool fromWitness)
    {
        if (SignedNote.Parse(text) is not { } note || Checkpoint.Parse(note.Text) is not { } checkpoint || checkpoint.Origin != origin)
            return null;
        if (!note.Signatures.Any(s => logKey.Verifies(note.Text, s)))
            return null;
        return note.Signatures.Select(s => witness.Key.VerifiesCosignature(note.Text, s)).FirstOrDefault(t => t is not null) is { } at
            ? new WitnessedCheckpoint(checkpoint, witness.Name, at, note, fromWitness)
            : null;
    }

    /// <summary>The hashes of the subtrees a proof needs, from the stored leaves; perfect subtrees of a tile or more are kept (they never change).</summary>
    public async Task<List<byte[]>> ProofAsync(Guid logId, IReadOnlyList<TreeRange> ranges, CancellationToken cancellationToken = default)
    {
        if (ranges.Count == 0)
            return [];
        await using var connection = await OpenAsync(cancellationToken);
        var result = new List<byte[]>();
        foreach (var range in ranges)
            result.Add(await SubtreeAsync(connection, logId, range, cancellationToken));
        return result;
    }

    private async Task<byte[]> SubtreeAsync(NpgsqlConnection connection, Guid logId, TreeRange range, CancellationToken cancellationToken)
    {
        var perfect = Merkle.IsPerfect(range) && range.Size >= TileSize;
        if (perfect)
        {
            lock (_cacheLock)
            {
                if (_perfect.TryGetValue((logId, range.Start, range.Size), out var cached))
                    return cached;
            }
        }
        byte[] hash;
        if (range.Size <= TileSize)
        {
            hash = Merkle.Root(await LeavesAsync(connection, range, cancellationToken));
        }
        else
        {
            var k = Merkle.Split(range.Size);
            var left = await SubtreeAsync(connection, logId, new TreeRange(range.Start, range.Start + k), cancellationToken);
            var right = await SubtreeAsync(connection, logId, new TreeRange(range.Start + k, range.End), cancellationToken);
            hash = Merkle.NodeHash(left, right);
        }
        if (perfect)
        {
            lock (_cacheLock)
                _perfect[(logId, range.Start, range.Size)] = hash;
        }
        return hash;
    }

    private static async Task<List<byte[]>> LeavesAsync(NpgsqlConnection connection, TreeRange range, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT leaf_hash FROM audit_log WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = range.Start });
        command.Parameters.Add(new NpgsqlParameter { Value = range.End });
        var leaves = new List<byte[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            leaves.Add((byte[])reader.GetValue(0));
        if (leaves.Count != range.Size)
            throw new InvalidOperationException($"The log's leaves {range.Start}–{range.End - 1} are not all there ({leaves.Count} of {range.Size}).");
        return leaves;
    }
}

/// <summary>Runs the log writer: a round every interval; after a round that signed a checkpoint, and every few seconds, the push to the witnesses.</summary>
internal sealed class TransparencyLogService(TransparencyLog log, AuditLogOptions options, ILogger<TransparencyLogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!log.Enabled)
            return;
        using var timer = new PeriodicTimer(options.Interval);
        var lastPush = DateTimeOffset.MinValue;
        var pending = false;
        do
        {
            // Appending and witnessing fail on their own: a witness that is down never stops the log, and a round that
            // fails (and is retried next tick) never keeps the last checkpoint from the witnesses.
            Checkpoint? checkpoint = null;
            try
            {
                checkpoint = await log.AppendAsync(stoppingToken);
            }
            catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e) || e is InvalidOperationException)
            {
                logger.LogWarning("Audit log round skipped: {Reason}", e.Message);
            }
            try
            {
                // Checkpoints are signed every round; the witnesses get the latest at most once a second (each push is
                // a proof, an HTTP call, a write on the witness's disk and a row here), and every 5 s regardless.
                var since = DateTimeOffset.UtcNow - lastPush;
                if ((checkpoint is not null || pending) && since >= TimeSpan.FromSeconds(1) || since > TimeSpan.FromSeconds(5))
                {
                    await log.PushAsync(stoppingToken);
                    lastPush = DateTimeOffset.UtcNow;
                    pending = false;
                }
                else if (checkpoint is not null)
                {
                    pending = true;
                }
            }
            catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e) || e is InvalidOperationException)
            {
                logger.LogWarning("Audit checkpoint not sent to the witnesses: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
