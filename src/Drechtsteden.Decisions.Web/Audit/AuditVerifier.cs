using System.Globalization;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>The first place where the trail does not hold, and why. A loss found only in the log names the log's leaf.</summary>
public sealed record BrokenEntry(Guid ChainId, long Sequence, long? EntryId, string Reason);

public enum AuditStatus
{
    /// <summary>Every check holds and every entry older than the grace period is in a witnessed checkpoint.</summary>
    Valid,

    /// <summary>Nothing found broken, but (part of) the trail is not covered by a checkpoint a witness cosigned.</summary>
    NotAnchored,

    Broken,
}

/// <summary>How far the trail is anchored: the log, the latest witnessed checkpoint, and what is not (yet) covered.</summary>
public sealed record LogAnchor(string? Origin, long LogSize, long WitnessedSize, string? Witness, DateTimeOffset? WitnessedAt, long Unanchored, IReadOnlyList<string> Problems)
{
    public static LogAnchor None(IReadOnlyList<string> problems) => new(null, 0, 0, null, null, 0, problems);
}

/// <summary>One chain as the process page reads it: its verification (which counts its entries) and the newest of them, newest first.</summary>
public sealed record ChainRead(AuditVerification Verification, IReadOnlyList<AuditEntry> NewestFirst);

public sealed record AuditVerification(AuditStatus Status, long EntriesChecked, int ChainsChecked, BrokenEntry? FirstBroken, LogAnchor Anchor)
{
    public bool Valid => Status == AuditStatus.Valid;

    /// <summary>Exit code of verify-audit: 0 valid, 3 broken, 4 not anchored.</summary>
    public int ExitCode => Status switch { AuditStatus.Valid => 0, AuditStatus.Broken => 3, _ => 4 };

    /// <summary>One Dutch sentence for the page and the command line.</summary>
    public string Summary => Status switch
    {
        AuditStatus.Valid => $"Geldig en verankerd: {EntriesChecked} regels in {ChainsChecked} ketens gecontroleerd; log van {Anchor.LogSize} regels, "
            + $"door getuige {Anchor.Witness} medeondertekend tot en met regel {Anchor.WitnessedSize} ({Anchor.WitnessedAt:yyyy-MM-dd HH:mm:ss}Z).",
        AuditStatus.NotAnchored => $"Niet verankerd: geen breuk gevonden in {EntriesChecked} regels, maar "
            + (Anchor.WitnessedSize == 0 ? "geen getuige heeft een checkpoint van dit log medeondertekend" : $"{Anchor.Unanchored} regels vallen buiten het laatste medeondertekende checkpoint ({Anchor.WitnessedSize} regels)")
            + (Anchor.Problems.Count > 0 ? $" ({string.Join("; ", Anchor.Problems)})" : "") + ".",
        _ => $"Gebroken: keten {FirstBroken!.ChainId}, regel {FirstBroken.Sequence}{(FirstBroken.EntryId is { } id ? $" (rij {id})" : "")}: {FirstBroken.Reason}.",
    };
}

/// <summary>
/// Verifies the audit trail. Every chain from its first entry: sequence numbers without gaps, each entry's previous
/// hash equal to the entry before it, each hash equal to the SHA-256 of the entry's canonical form. Then the
/// transparency log: every entry is a leaf with its hash (or is younger than the log's position), no leaf lost its
/// entry, no leaf is missing, and the tree over the leaves has the root of every checkpoint the log signed and of the
/// latest checkpoint a witness cosigned — asked of the witnesses themselves. The chains are read in ranges side by
/// side (they are independent), the leaves at the same time on a connection of their own.
/// </summary>
public sealed class AuditVerifier(DecisionsDbContext db, TransparencyLog log, AuditOptions options)
{
    private const string Columns = """
        SELECT e.id, e.uuid, e.chain_id, e.chain_sequence, e.recorded_at, e.actor_id, e.actor_name, e.actor_role, e.actor_municipality, e.action,
               e.resource, e.resource_id, e.resource_name, e.process_id, e.item_id, e.municipality_code, e.before, e.after, e.reason, e.status,
               e.correlation_id, e.client_address, e.previous_hash, e.hash, e.tx::text::bigint, l.leaf_index, l.leaf_hash
        FROM audit_entries e LEFT JOIN audit_log l ON l.entry_id = e.id
        """;

    /// <summary>
    /// How many ranges of chains are walked side by side: one per core, at least two, at most four (measured on two
    /// cores: four ranges made the walks no faster and PostgreSQL's side of a plain read dearer).
    /// </summary>
    public static int Ranges => Math.Clamp(Environment.ProcessorCount, 2, 4);

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var connectionString = db.Database.GetConnectionString()!;
        var state = await LogStateAsync(connectionString, cancellationToken);
        var (witnessed, problems) = state.LogId is { } logId ? await log.LatestWitnessedAsync(logId, cancellationToken) : (null, new List<string>());
        if (!log.Enabled)
            problems.Insert(0, log.Key is null ? "het auditlog heeft geen sleutel" : "het transparantielog staat uit");
        var signed = await SignedCheckpointsAsync(connectionString, witnessed, cancellationToken);
        // The tree as it stood when the verification began: every leaf below this size is checked.
        var leaves = new LeafTable(Math.Max(state.Size, signed.Count > 0 ? signed[^1].Size : 0));
        var context = new WalkContext(state, witnessed?.Checkpoint.Size ?? 0, leaves);

        List<Guid> bounds;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            bounds = await RangeBoundsAsync(connection, Ranges, cancellationToken);
        }
        var walks = RangeFilters(bounds).Zip(RangeFilters(bounds, "a.process_id"), RangeFilters(bounds, "c.process_id"))
            .Select(range => WalkChainsAsync(connectionString, context, range.First, (range.Second, range.Third), cancellationToken)).ToList();
        var results = await Task.WhenAll(walks);
        var leafBroken = await CheckTreeAsync(connectionString, leaves, signed, witnessed, cancellationToken);
        // The ranges are in chain (process) order: the first range with a difference has the first one.
        var rowBroken = results.Select(w => w.Rows!.FirstDecision?.Broken).FirstOrDefault(b => b is not null)
            ?? results.Select(w => w.Rows!.FirstConcept?.Broken).FirstOrDefault(b => b is not null);

        var broken = results.Select(w => w.Broken).OfType<BrokenEntry>().OrderBy(b => b.ChainId).ThenBy(b => b.Sequence).FirstOrDefault() ?? leafBroken ?? rowBroken;
        var unanchored = Unanchored(results.Sum(w => w.Outside), witnessed?.CosignedAt);
        var anchor = new LogAnchor(state.LogId is { } id ? log.OriginOf(id) : null, state.Size, witnessed?.Checkpoint.Size ?? 0, witnessed?.Witness,
            witnessed?.CosignedAt, unanchored, problems);
        var status = broken is not null ? AuditStatus.Broken
            : witnessed is null || unanchored > 0 || !log.Enabled ? AuditStatus.NotAnchored
            : AuditStatus.Valid;
        if (witnessed is null && results.Sum(w => w.Entries) == 0 && log.Enabled)
            status = AuditStatus.Valid; // an empty trail has nothing to anchor
        return new AuditVerification(status, results.Sum(w => w.Entries), results.Sum(w => w.Chains), broken, anchor);
    }

    /// <summary>How many entries a sample for <see cref="RangeBoundsAsync"/> aims at (a trail this small is read whole).</summary>
    public const int RangeSample = 20_000;

    /// <summary>
    /// The chain ids that split the trail into <paramref name="ranges"/> ranges of chains with about as many entries each
    /// (sorted, distinct; fewer when the trail is small): the walks of the ranges go side by side, and the verification
    /// takes as long as its longest walk. Taken from a sample of the entries (PostgreSQL's page sample, about
    /// <see cref="RangeSample"/> rows; all of them in a smaller trail). Splitting by the number of chains instead left
    /// one walk with four fifths of the entries at full size — the generated processes' long trails sort before the
    /// short ones the load added (UUIDv7 ids are time-ordered) — and the verification ran on one core for most of its
    /// time (perf, README issue 19). A chain is never split: its walk checks each entry against the one before it.
    /// </summary>
    public static async Task<List<Guid>> RangeBoundsAsync(NpgsqlConnection connection, int ranges, CancellationToken cancellationToken = default)
    {
        if (ranges < 2)
            return [];
        await using var command = new NpgsqlCommand("""
            SELECT unnest(percentile_disc($1) WITHIN GROUP (ORDER BY e.chain_id))
            FROM audit_entries AS e TABLESAMPLE SYSTEM (
                (SELECT CASE WHEN c.reltuples > $2 THEN greatest(0.01, 100.0 * $2 / c.reltuples) ELSE 100 END FROM pg_class AS c WHERE c.oid = 'audit_entries'::regclass))
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = Enumerable.Range(1, ranges - 1).Select(i => (double)i / ranges).ToArray() },
                new NpgsqlParameter { Value = (double)RangeSample },
            },
        };
        var bounds = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            if (!reader.IsDBNull(0))
                bounds.Add(reader.GetGuid(0));
        return [.. bounds.Distinct().Order()];
    }

    /// <summary>
    /// The WHERE clauses of the ranges of chains between <paramref name="bounds"/> (sorted process ids), one per range,
    /// on <paramref name="column"/> (a chain id or a process id). COPY takes no parameters: the bounds are UUIDs, written as literals.
    /// </summary>
    public static List<string> RangeFilters(IReadOnlyList<Guid> bounds, string column = "e.chain_id")
    {
        string Bound(int b) => $"'{bounds[b]:D}'::uuid";
        return [.. Enumerable.Range(0, bounds.Count + 1).Select(i => i switch
        {
            _ when bounds.Count == 0 => "",
            0 => $"WHERE {column} < {Bound(0)}",
            _ when i == bounds.Count => $"WHERE {column} >= {Bound(i - 1)}",
            _ => $"WHERE {column} >= {Bound(i - 1)} AND {column} < {Bound(i)}",
        })];
    }

    /// <summary>Verifies one chain as <see cref="ReadChainAsync"/> does, without keeping its entries.</summary>
    public async Task<AuditVerification> VerifyChainAsync(Guid chainId, CancellationToken cancellationToken = default) =>
        (await ReadChainAsync(chainId, 0, cancellationToken)).Verification;

    /// <summary>The columns of one chain's entries as <see cref="ReadChainAsync"/> reads them (the order <see cref="ReadRow"/> takes).</summary>
    private const string ChainColumns = """
        SELECT e.id, e.uuid, e.chain_id, e.chain_sequence, e.recorded_at, e.actor_id, e.actor_name, e.actor_role, e.actor_municipality, e.action,
               e.resource, e.resource_id, e.resource_name, e.process_id, e.item_id, e.municipality_code, e.before, e.after, e.reason, e.status,
               e.correlation_id, e.client_address, e.previous_hash, e.hash, e.tx::text::bigint
        FROM audit_entries e WHERE e.chain_id = $1 ORDER BY e.chain_sequence
        """;

    /// <summary>
    /// Reads and verifies one chain (the process page reads it with the process, <see cref="ChainSnapshot"/>): the hash chain, each entry's leaf in the log (and, as the
    /// full check does, that no entry the log has passed is missing from it), and whether the latest witnessed
    /// checkpoint the database keeps covers them. The full check — the tree's roots and the witnesses asked directly —
    /// is <see cref="VerifyAsync"/> and verify-audit. One round trip on a connection of its own: the log's state first
    /// (its own snapshot), then the entries, their leaves and the cosignatures, each read after it. The entries' text is
    /// taken as the UTF-8 bytes PostgreSQL sends and hashed as such; only the newest <paramref name="newest"/> are
    /// decoded into <see cref="AuditEntry"/> objects to be shown (null: all of them).
    /// </summary>
    public async Task<ChainRead> ReadChainAsync(Guid chainId, int? newest, CancellationToken cancellationToken = default)
    {
        var read = ChainSnapshot(chainId, newest);
        await using var connection = new NpgsqlConnection(db.Database.GetConnectionString()!);
        await connection.OpenAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        read.Add(batch);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            await read.ReadAsync(reader, cancellationToken);
        return read.Result!;
    }

    /// <summary>
    /// <see cref="ReadChainAsync"/> as statements of another read's batch (<see cref="SnapshotRead"/>): the process page
    /// reads the chain with the process, in the same snapshot, in one round trip. The log's state, the entries, their
    /// leaves and the cosignatures in one REPEATABLE READ snapshot agree with each other as they do read one after another.
    /// </summary>
    public ChainSnapshotRead ChainSnapshot(Guid chainId, int? newest) => new(this, chainId, newest);

    public sealed class ChainSnapshotRead(AuditVerifier verifier, Guid chainId, int? newest) : SnapshotRead
    {
        public ChainRead? Result { get; private set; }

        public override void Add(NpgsqlBatch batch)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LogStateQuery));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(ChainColumns) { Parameters = { new NpgsqlParameter { Value = chainId } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT entry_id, leaf_index, leaf_hash FROM audit_log WHERE chain_id = $1") { Parameters = { new NpgsqlParameter { Value = chainId } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Log.TransparencyLog.LatestCosignaturesQuery));
        }

        public override async Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) =>
            Result = await verifier.ReadChainResultsAsync(reader, newest, cancellationToken);
    }

    /// <summary>The four results of <see cref="ChainSnapshotRead.Add"/>, verified; leaves the reader on the next statement's result.</summary>
    private async Task<ChainRead> ReadChainResultsAsync(NpgsqlDataReader reader, int? newest, CancellationToken cancellationToken)
    {
        var leaves = new Dictionary<long, (long Index, byte[] Hash)>();
        var entries = new List<(AuditEntryBytes Entry, ulong Tx)>();
        long witnessedSize = 0;
        string? witness = null;
        DateTimeOffset? witnessedAt = null;
        var state = await ReadLogStateAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            entries.Add((ReadRow(reader), (ulong)reader.GetInt64(24)));
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            leaves[reader.GetInt64(0)] = (reader.GetInt64(1), (byte[])reader.GetValue(2));
        await reader.NextResultAsync(cancellationToken);
        var notes = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
            notes.Add(reader.GetString(1));
        await reader.NextResultAsync(cancellationToken);
        if (state.LogId is { } logId)
        {
            foreach (var stored in notes.Select(n => log.VerifyStored(n, logId)).OfType<WitnessedCheckpoint>().OrderByDescending(c => c.Checkpoint.Size).Take(1))
                (witnessedSize, witness, witnessedAt) = (stored.Checkpoint.Size, stored.Witness, stored.CosignedAt);
        }

        var walk = new ChainWalk(new WalkContext(state, witnessedSize, null));
        foreach (var (entry, tx) in entries)
        {
            var leaf = leaves.TryGetValue(entry.Id, out var found) ? found : ((long, byte[])?)null;
            walk.Add(entry, tx, leaf?.Item1, leaf?.Item2);
        }
        var unanchored = Unanchored(walk.Outside, witnessedAt);
        var anchor = new LogAnchor(state.LogId is { } id ? log.OriginOf(id) : null, state.Size, witnessedSize, witness, witnessedAt, unanchored, []);
        var status = walk.Broken is not null ? AuditStatus.Broken : witness is null || unanchored > 0 || !log.Enabled ? AuditStatus.NotAnchored : AuditStatus.Valid;
        var shown = new List<AuditEntry>(Math.Min(entries.Count, newest ?? entries.Count));
        for (var i = entries.Count - 1; i >= 0 && shown.Count < (newest ?? entries.Count); i--)
            shown.Add(entries[i].Entry.ToEntry());
        return new ChainRead(new AuditVerification(status, walk.Entries, walk.Chains, walk.Broken, anchor), shown);
    }

    /// <summary>One row of <see cref="ChainColumns"/>, its text as the UTF-8 bytes PostgreSQL sent (not decoded into strings).</summary>
    private static AuditEntryBytes ReadRow(NpgsqlDataReader r)
    {
        byte[] Text(int i) => r.GetFieldValue<byte[]>(i);
        byte[]? NullableText(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);
        Guid? Id(int i) => r.IsDBNull(i) ? null : r.GetGuid(i);
        return new AuditEntryBytes
        {
            Id = r.GetInt64(0),
            Uuid = r.GetGuid(1),
            ChainId = r.GetGuid(2),
            ChainSequence = r.GetInt64(3),
            RecordedAt = r.GetFieldValue<DateTimeOffset>(4),
            ActorId = Text(5),
            ActorName = Text(6),
            ActorRole = Text(7),
            ActorMunicipality = NullableText(8),
            Action = Text(9),
            Resource = Text(10),
            ResourceId = Text(11),
            ResourceName = Text(12),
            ProcessId = Id(13),
            ItemId = Id(14),
            MunicipalityCode = NullableText(15),
            Before = NullableText(16),
            After = NullableText(17),
            Reason = NullableText(18),
            Status = r.GetInt32(19),
            CorrelationId = NullableText(20),
            ClientAddress = NullableText(21),
            PreviousHash = Text(22),
            Hash = Text(23),
        };
    }

    /// <summary>The log's state row: its id, size and the (tx, id) position up to which every entry must be a leaf.</summary>
    private sealed record LogState(Guid? LogId, long Size, ulong PositionTx, long PositionId);

    /// <param name="Leaves">Where the chain walks put the leaf hashes they read, for the tree's check; null for one chain.</param>
    private sealed record WalkContext(LogState Log, long WitnessedSize, LeafTable? Leaves);

    /// <summary>
    /// The log's leaf hashes by leaf index below the tree's size at the start, filled by the chain walks side by side
    /// (each entry's row brings its leaf; each index is written by one walk only). A slot left empty is a leaf whose
    /// entry is gone, or a leaf that is gone.
    /// </summary>
    private sealed class LeafTable(long size)
    {
        private readonly byte[] _hashes = GC.AllocateUninitializedArray<byte>(checked((int)(size * Merkle.HashSize)));
        private readonly bool[] _filled = new bool[size];

        public long Size => size;

        public void Put(long index, byte[] hash)
        {
            if (index < 0 || index >= size || hash.Length != Merkle.HashSize)
                return;
            hash.CopyTo(_hashes.AsSpan(checked((int)(index * Merkle.HashSize))));
            _filled[index] = true;
        }

        public bool Filled(long index) => _filled[index];

        public byte[] Hash(long index) => _hashes.AsSpan(checked((int)(index * Merkle.HashSize)), Merkle.HashSize).ToArray();

        public List<long> Empty() => [.. Enumerable.Range(0, (int)size).Where(i => !_filled[i]).Select(i => (long)i)];
    }

    /// <summary>
    /// Entries outside the latest witnessed checkpoint are on their way while a witness cosigned within the grace period
    /// (the log moves: it takes entries within a second and pushes them within seconds); once the last cosignature is
    /// older than that, or there is none, they count as not anchored. Judged by the witness's time, not the entries'
    /// own instants, which a replayed or generated past puts long ago. The witness stamps its cosignature with its wall
    /// clock, so the age is taken on the wall clock too (not on the app's business clock, which tests and the generator move).
    /// </summary>
    private long Unanchored(long outside, DateTimeOffset? cosignedAt) =>
        outside > 0 && (cosignedAt is not { } at || TimeProvider.System.GetUtcNow() - at > options.AnchorGrace) ? outside : 0;

    private static async Task<LogState> LogStateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(LogStateQuery, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadLogStateAsync(reader, cancellationToken);
    }

    private const string LogStateQuery = "SELECT log_id, tree_size, position_tx::text, position_id FROM audit_log_state WHERE id = 1";

    private static async Task<LogState> ReadLogStateAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken)
            ? new LogState(reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetInt64(1), ulong.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetInt64(3))
            : new LogState(null, 0, 0, 0);

    /// <summary>
    /// Walks the entries <paramref name="where"/> selects, in (chain, sequence) order, on a connection of its own: read
    /// with a binary <c>COPY</c> (no per-row protocol messages, no text parsing), and on a thread of its own so the
    /// walks and PostgreSQL's sending run side by side. The range's stored decisions and concept versions
    /// (<paramref name="stored"/>: the same range on their process ids) are compared with the entries as the walk goes
    /// (<see cref="StoredRowsCheck"/>).
    /// </summary>
    private static Task<ChainWalk> WalkChainsAsync(string connectionString, WalkContext context, string where, (string Decisions, string Concepts) stored,
        CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var rows = new StoredRowsCheck(connectionString, stored.Decisions, stored.Concepts);
            var walk = new ChainWalk(context) { Rows = rows };
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            // COPY takes no parameters: the bounds are process ids (UUIDs), written as literals.
            using var export = connection.BeginBinaryExport($"COPY ({Columns} {where} ORDER BY e.chain_id, e.chain_sequence) TO STDOUT (FORMAT BINARY)");
            while (export.StartRow() != -1)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var entry = Read(export);
                var tx = (ulong)export.Read<long>();
                var leafIndex = export.ReadNullable<long>();
                var leafHash = export.ReadNullableText(); // a bytea: its bytes
                walk.Add(entry, tx, leafIndex, leafHash);
                rows.Add(entry);
            }
            rows.Finish();
            return walk;
        }, cancellationToken);

    private static readonly byte[] GenesisBytes = System.Text.Encoding.ASCII.GetBytes(AuditHash.Genesis);

    /// <summary>The state of a walk over chains in (chain, sequence) order.</summary>
    private sealed class ChainWalk(WalkContext context)
    {
        private Guid? _chain;
        private long _lastSequence;
        private byte[] _lastHash = GenesisBytes;

        public long Entries { get; private set; }

        public int Chains { get; private set; }

        /// <summary>Entries outside the latest witnessed checkpoint: not yet a leaf, or a leaf after it.</summary>
        public long Outside { get; private set; }

        public BrokenEntry? Broken { get; private set; }

        /// <summary>The stored rows compared beside the full verification's walk (none for one chain).</summary>
        public StoredRowsCheck? Rows { get; init; }

        public void Add(AuditEntryBytes entry, ulong? tx, long? leafIndex, byte[]? leafHash)
        {
            Entries++;
            if (entry.ChainId != _chain)
            {
                _chain = entry.ChainId;
                Chains++;
                _lastSequence = 0;
                _lastHash = GenesisBytes;
            }
            Broken ??= Check(entry, tx, leafIndex, leafHash);
            _lastSequence = entry.ChainSequence;
            _lastHash = entry.Hash;
            if (leafIndex is null || leafIndex >= context.WitnessedSize)
                Outside++;
            if (leafIndex is { } index && leafHash is not null)
                context.Leaves?.Put(index, leafHash);
        }

        private BrokenEntry? Check(AuditEntryBytes entry, ulong? tx, long? leafIndex, byte[]? leafHash)
        {
            if (entry.ChainSequence != _lastSequence + 1)
                return new BrokenEntry(entry.ChainId, _lastSequence + 1, null, $"entry {_lastSequence + 1} is missing (the next one present is {entry.ChainSequence})");
            if (!entry.PreviousHash.AsSpan().SequenceEqual(_lastHash))
                return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, "its previous hash does not match the entry before it");
            Span<byte> hash = stackalloc byte[Merkle.HashSize];
            AuditHash.ComputeInto(entry, hash);
            if (!AuditHash.IsHexOf(hash, entry.Hash))
                return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, "its content does not match its hash (changed after it was written)");
            Span<byte> leaf = stackalloc byte[Merkle.HashSize];
            if (leafHash is not null)
                Merkle.LeafHash(hash, leaf);
            if (leafHash is not null && !leaf.SequenceEqual(leafHash)) // the log's leaf, also what the tree's check takes
                return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, $"it differs from what the transparency log recorded at leaf {leafIndex} (rewritten after it was logged)");
            var passed = tx is { } t && (t < context.Log.PositionTx || (t == context.Log.PositionTx && entry.Id <= context.Log.PositionId));
            if (leafIndex is null && passed)
                return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, "it is not in the transparency log, which has passed it (added behind the log's back)");
            return null;
        }
    }

    /// <summary>Every checkpoint the log signed, and the latest witnessed one, by size.</summary>
    private static async Task<List<(long Size, byte[] Root, string Note)>> SignedCheckpointsAsync(string connectionString, WitnessedCheckpoint? witnessed, CancellationToken cancellationToken)
    {
        var signed = new List<(long Size, byte[] Root, string Note)>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var checkpoints = new NpgsqlCommand("SELECT tree_size, root, note FROM audit_checkpoints ORDER BY tree_size", connection))
        await using (var reader = await checkpoints.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                signed.Add((reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2)));
        }
        if (witnessed is not null)
            signed.Add((witnessed.Checkpoint.Size, witnessed.Checkpoint.Root, witnessed.Note.ToString()));
        signed.Sort((a, b) => a.Size.CompareTo(b.Size));
        return signed;
    }

    /// <summary>
    /// The log's leaves in order, from what the chain walks read: none missing, none whose entry is gone, and the tree's
    /// root at the size of every checkpoint the log signed (a mismatch locates a change between two checkpoints) and of
    /// the witnessed one. Only the slots the walks left empty are looked up in the log itself.
    /// </summary>
    private async Task<BrokenEntry?> CheckTreeAsync(string connectionString, LeafTable leaves, List<(long Size, byte[] Root, string Note)> signed,
        WitnessedCheckpoint? witnessed, CancellationToken cancellationToken)
    {
        var empty = leaves.Empty();
        // Leaves whose entry is gone: still in the log, so their hash comes from it.
        var orphans = new Dictionary<long, (byte[] Hash, Guid Chain, long Sequence, long EntryId)>();
        await using var connection = new NpgsqlConnection(connectionString);
        if (empty.Count > 0)
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT leaf_index, leaf_hash, chain_id, chain_sequence, entry_id FROM audit_log WHERE leaf_index = ANY($1)", connection)
            {
                Parameters = { new NpgsqlParameter { Value = empty.ToArray() } },
            };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                orphans[reader.GetInt64(0)] = ((byte[])reader.GetValue(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetInt64(4));
        }

        var frontier = new Frontier();
        var next = 0;
        long previousSize = 0;
        BrokenEntry? broken = null;
        for (long index = 0; index < leaves.Size; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] hash;
            if (leaves.Filled(index))
            {
                hash = leaves.Hash(index);
            }
            else if (orphans.TryGetValue(index, out var orphan))
            {
                broken ??= new BrokenEntry(orphan.Chain, orphan.Sequence, orphan.EntryId, $"this entry was deleted after the transparency log recorded it (leaf {index})");
                hash = orphan.Hash;
            }
            else
            {
                // Gone from the log: up to the next leaf that is there, or the log ends here.
                var present = index + 1;
                while (present < leaves.Size && !leaves.Filled(present) && !orphans.ContainsKey(present))
                    present++;
                if (present == leaves.Size)
                    break;
                await using var at = new NpgsqlCommand("SELECT chain_id, chain_sequence FROM audit_log WHERE leaf_index = $1", connection) { Parameters = { new NpgsqlParameter { Value = present } } };
                if (connection.State != System.Data.ConnectionState.Open)
                    await connection.OpenAsync(cancellationToken);
                await using var reader = await at.ExecuteReaderAsync(cancellationToken);
                var (chain, sequence) = await reader.ReadAsync(cancellationToken) ? (reader.GetGuid(0), reader.GetInt64(1)) : (Guid.Empty, present);
                return broken ?? new BrokenEntry(chain, sequence, null, $"leaves {index}–{present - 1} of the transparency log are missing (deleted from the log)");
            }
            frontier.Append(hash);
            for (; next < signed.Count && signed[next].Size == frontier.Size; next++)
            {
                if (!frontier.Root().AsSpan().SequenceEqual(signed[next].Root))
                    return broken ?? Mismatch(signed[next], previousSize, witnessed);
                previousSize = signed[next].Size;
            }
        }
        if (witnessed is not null && frontier.Size < witnessed.Checkpoint.Size)
        {
            return broken ?? new BrokenEntry(Guid.Empty, frontier.Size, null,
                $"the transparency log ends at {frontier.Size} leaves, but witness {witnessed.Witness} cosigned {witnessed.Checkpoint.Size}: the newest entries were removed");
        }
        return broken;
    }

    private BrokenEntry Mismatch((long Size, byte[] Root, string Note) checkpoint, long previousSize, WitnessedCheckpoint? witnessed)
    {
        var by = witnessed is not null && checkpoint.Size == witnessed.Checkpoint.Size && checkpoint.Note == witnessed.Note.ToString()
            ? $"the checkpoint witness {witnessed.Witness} cosigned"
            : log.VerifiesSignature(checkpoint.Note) ? "the checkpoint the log signed" : "a checkpoint row that the log's key did not sign (forged)";
        return new BrokenEntry(Guid.Empty, checkpoint.Size, null,
            $"the log's leaves {previousSize}–{checkpoint.Size - 1} no longer give the root of {by} at size {checkpoint.Size}: entries in that range were rewritten or replaced");
    }

    /// <summary>
    /// One entry from the binary COPY, its columns in the order of <see cref="Columns"/>. Text is taken as the bytes
    /// PostgreSQL sends (UTF-8; in binary COPY a text value is its bytes, as a bytea is), not decoded into strings.
    /// </summary>
    private static AuditEntryBytes Read(NpgsqlBinaryExporter r) =>
        new()
        {
            Id = r.Read<long>(),
            Uuid = r.Read<Guid>(),
            ChainId = r.Read<Guid>(),
            ChainSequence = r.Read<long>(),
            RecordedAt = r.Read<DateTimeOffset>(),
            ActorId = r.ReadText(),
            ActorName = r.ReadText(),
            ActorRole = r.ReadText(),
            ActorMunicipality = r.ReadNullableText(),
            Action = r.ReadText(),
            Resource = r.ReadText(),
            ResourceId = r.ReadText(),
            ResourceName = r.ReadText(),
            ProcessId = r.ReadNullable<Guid>(),
            ItemId = r.ReadNullable<Guid>(),
            MunicipalityCode = r.ReadNullableText(),
            Before = r.ReadNullableText(),
            After = r.ReadNullableText(),
            Reason = r.ReadNullableText(),
            Status = r.Read<int>(),
            CorrelationId = r.ReadNullableText(),
            ClientAddress = r.ReadNullableText(),
            PreviousHash = r.ReadText(),
            Hash = r.ReadText(),
        };
}
