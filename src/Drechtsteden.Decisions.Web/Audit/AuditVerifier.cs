using System.Text.Json;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>The first entry where a chain does not hold, and why.</summary>
public sealed record BrokenEntry(Guid ChainId, long Sequence, long? EntryId, string Reason);

public sealed record AuditVerification(bool Valid, long EntriesChecked, int ChainsChecked, int CheckpointsChecked, BrokenEntry? FirstBroken);

/// <summary>
/// Walks every chain from its first entry: sequence numbers without gaps, each entry's previous hash equal to the
/// entry before it, each hash equal to the SHA-256 of the entry's canonical form. Then compares with the checkpoints
/// written outside the database, so a chain rewritten as a whole (hashes recomputed) is still caught. The whole trail
/// is read in ranges of chains, side by side on their own connections (chains are independent).
/// </summary>
public sealed class AuditVerifier(DecisionsDbContext db, AuditCheckpoints checkpoints)
{
    private const string Columns = """
        SELECT id, uuid, chain_id, chain_sequence, recorded_at, actor_id, actor_name, actor_role, actor_municipality, action,
               resource, resource_id, resource_name, process_id, item_id, municipality_code, before, after, reason, status,
               correlation_id, client_address, previous_hash, hash
        FROM audit_entries
        """;

    public async Task<AuditVerification> VerifyAsync(Guid? chainId = null, CancellationToken cancellationToken = default)
    {
        var expected = checkpoints.ReadAll(chainId);
        var connectionString = db.Database.GetConnectionString()!;
        if (chainId is { } only)
            return ChainWalk.Merge([await ReadAsync(connectionString, expected, "WHERE chain_id = $1", [only], cancellationToken)], expected);

        // Ranges of chain ids with about as many chains each (process ids are UUIDv7: time-ordered, not uniform).
        var parallel = Math.Clamp(Environment.ProcessorCount, 2, 4);
        var bounds = await db.Database.SqlQuery<Guid>($"""
            SELECT unnest(percentile_disc({Enumerable.Range(1, parallel - 1).Select(i => (double)i / parallel).ToArray()}) WITHIN GROUP (ORDER BY id)) AS "Value" FROM processes
            """).ToListAsync(cancellationToken);
        bounds = bounds.Distinct().Order().ToList();
        var walks = await Task.WhenAll(Enumerable.Range(0, bounds.Count + 1).Select(i =>
        {
            var (where, values) = i switch
            {
                _ when bounds.Count == 0 => ("", Array.Empty<object>()),
                0 => ("WHERE chain_id < $1", new object[] { bounds[0] }),
                _ when i == bounds.Count => ("WHERE chain_id >= $1", new object[] { bounds[i - 1] }),
                _ => ("WHERE chain_id >= $1 AND chain_id < $2", new object[] { bounds[i - 1], bounds[i] }),
            };
            return ReadAsync(connectionString, expected, where, values, cancellationToken);
        }));
        return ChainWalk.Merge(walks, expected);
    }

    /// <summary>Verifies one chain from entries already read (in sequence order), as <see cref="VerifyAsync"/> would.</summary>
    public AuditVerification Verify(Guid chainId, IEnumerable<AuditEntry> entries)
    {
        var expected = checkpoints.ReadAll(chainId);
        var walk = new ChainWalk(expected);
        foreach (var entry in entries)
            walk.Add(entry);
        return ChainWalk.Merge([walk], expected);
    }

    /// <summary>Walks the entries <paramref name="where"/> selects, in (chain, sequence) order, on a connection of its own.</summary>
    private static async Task<ChainWalk> ReadAsync(string connectionString, IReadOnlyDictionary<(Guid Chain, long Sequence), AuditCheckpoints.Seen> expected,
        string where, object[] values, CancellationToken cancellationToken)
    {
        var walk = new ChainWalk(expected);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"{Columns} {where} ORDER BY chain_id, chain_sequence", connection);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            walk.Add(Read(reader));
        return walk;
    }

    /// <summary>The state of a walk over chains in (chain, sequence) order.</summary>
    private sealed class ChainWalk(IReadOnlyDictionary<(Guid Chain, long Sequence), AuditCheckpoints.Seen> expected)
    {
        private Guid? _chain;
        private long _lastSequence;
        private string _lastHash = AuditHash.Genesis;

        public long Entries { get; private set; }

        public int Chains { get; private set; }

        public BrokenEntry? Broken { get; private set; }

        public Dictionary<Guid, long> Seen { get; } = [];

        public void Add(AuditEntry entry)
        {
            Entries++;
            if (entry.ChainId != _chain)
            {
                _chain = entry.ChainId;
                Chains++;
                _lastSequence = 0;
                _lastHash = AuditHash.Genesis;
            }
            Broken ??= Check(entry, _lastSequence, _lastHash, expected);
            _lastSequence = entry.ChainSequence;
            _lastHash = entry.Hash;
            Seen[entry.ChainId] = _lastSequence;
        }

        public static AuditVerification Merge(IReadOnlyList<ChainWalk> walks, IReadOnlyDictionary<(Guid Chain, long Sequence), AuditCheckpoints.Seen> all)
        {
            var seen = walks.SelectMany(w => w.Seen).ToDictionary(p => p.Key, p => p.Value);
            var broken = walks.Select(w => w.Broken).OfType<BrokenEntry>().OrderBy(b => b.ChainId).ThenBy(b => b.Sequence).FirstOrDefault();
            // A checkpoint saw entries that are no longer there: the end of a chain (or a whole chain) was removed.
            broken ??= all
                .Where(c => !seen.TryGetValue(c.Key.Chain, out var max) || max < c.Key.Sequence)
                .OrderBy(c => c.Key.Chain).ThenBy(c => c.Key.Sequence)
                .Select(c => new BrokenEntry(c.Key.Chain, c.Key.Sequence, null,
                    $"the checkpoint of {c.Value.At:yyyy-MM-dd HH:mm:ss}Z saw entry {c.Key.Sequence} of this chain; it is missing now"))
                .FirstOrDefault();
            return new AuditVerification(broken is null, walks.Sum(w => w.Entries), walks.Sum(w => w.Chains), all.Count, broken);
        }
    }

    private static BrokenEntry? Check(AuditEntry entry, long lastSequence, string lastHash, IReadOnlyDictionary<(Guid Chain, long Sequence), AuditCheckpoints.Seen> expected)
    {
        if (entry.ChainSequence != lastSequence + 1)
            return new BrokenEntry(entry.ChainId, lastSequence + 1, null, $"entry {lastSequence + 1} is missing (the next one present is {entry.ChainSequence})");
        if (entry.PreviousHash != lastHash)
            return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, "its previous hash does not match the entry before it");
        if (AuditHash.Compute(entry) != entry.Hash)
            return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, "its content does not match its hash (changed after it was written)");
        if (expected.TryGetValue((entry.ChainId, entry.ChainSequence), out var seen) && seen.Hash != entry.Hash)
            return new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, $"its hash differs from the checkpoint of {seen.At:yyyy-MM-dd HH:mm:ss}Z (the chain was rewritten)");
        return null;
    }

    private static AuditEntry Read(NpgsqlDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        Guid? Id(int i) => r.IsDBNull(i) ? null : r.GetGuid(i);
        return new AuditEntry
        {
            Id = r.GetInt64(0),
            Uuid = r.GetGuid(1),
            ChainId = r.GetGuid(2),
            ChainSequence = r.GetInt64(3),
            RecordedAt = r.GetFieldValue<DateTimeOffset>(4),
            ActorId = r.GetString(5),
            ActorName = r.GetString(6),
            ActorRole = r.GetString(7),
            ActorMunicipality = Text(8),
            Action = r.GetString(9),
            Resource = r.GetString(10),
            ResourceId = r.GetString(11),
            ResourceName = r.GetString(12),
            ProcessId = Id(13),
            ItemId = Id(14),
            MunicipalityCode = Text(15),
            Before = Text(16),
            After = Text(17),
            Reason = Text(18),
            Status = r.GetInt32(19),
            CorrelationId = Text(20),
            ClientAddress = Text(21),
            PreviousHash = r.GetString(22),
            Hash = r.GetString(23),
        };
    }
}

/// <summary>
/// Chain heads written outside PostgreSQL (one JSON line per checkpoint, in a folder; optionally posted to a URL).
/// What a checkpoint saw cannot be rewritten by someone who controls only the database.
/// </summary>
public sealed class AuditCheckpoints(AuditOptions options, IHttpClientFactory httpClients, TimeProvider clock, ILogger<AuditCheckpoints> logger)
{
    public sealed record Seen(string Hash, DateTimeOffset At);

    private sealed record Head(Guid Chain, long Sequence, string Hash);

    private sealed record Checkpoint(DateTimeOffset At, IReadOnlyList<Head> Chains);

    /// <summary>Writes the current head of every chain; returns the number of chains, or 0 when nothing changed since the last checkpoint.</summary>
    public async Task<int> WriteAsync(DecisionsDbContext db, CancellationToken cancellationToken = default)
    {
        var heads = await db.Database.SqlQuery<HeadRow>($"""
            SELECT DISTINCT ON (chain_id) chain_id AS "Chain", chain_sequence AS "Sequence", hash AS "Hash"
            FROM audit_entries ORDER BY chain_id, chain_sequence DESC
            """).ToListAsync(cancellationToken);
        if (heads.Count == 0)
            return 0;
        // Only the heads no earlier checkpoint saw: a line stays as small as what changed, and together the lines still
        // say, for every chain, the last entry any checkpoint saw.
        var latest = ReadAll(null);
        var changed = heads.Where(h => !latest.ContainsKey((h.Chain, h.Sequence))).Select(h => new Head(h.Chain, h.Sequence, h.Hash)).ToList();
        if (changed.Count == 0)
            return 0;
        var checkpoint = new Checkpoint(clock.GetUtcNow(), changed);
        var line = JsonSerializer.Serialize(checkpoint, JsonSerializerOptions.Web);
        Directory.CreateDirectory(options.CheckpointDirectory);
        var file = Path.Combine(options.CheckpointDirectory, $"audit-checkpoints-{checkpoint.At:yyyy-MM}.jsonl");
        await File.AppendAllTextAsync(file, line + "\n", cancellationToken);
        if (options.CheckpointUrl is { } url)
        {
            try
            {
                using var content = new StringContent(line, System.Text.Encoding.UTF8, "application/json");
                using var response = await httpClients.CreateClient(nameof(AuditCheckpoints)).PostAsync(url, content, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
            catch (HttpRequestException e)
            {
                logger.LogWarning(e, "Could not post the audit checkpoint to {Url}; it is in {File}", url, file);
            }
        }
        return changed.Count;
    }

    private readonly Lock _cacheLock = new();
    private readonly Dictionary<string, (long Length, DateTime Written, List<Checkpoint> Lines)> _files = new(StringComparer.Ordinal);

    /// <summary>Everything the checkpoints saw: (chain, sequence) → hash and when. Files are parsed again only when they changed.</summary>
    public IReadOnlyDictionary<(Guid Chain, long Sequence), Seen> ReadAll(Guid? chainId)
    {
        var seen = new Dictionary<(Guid, long), Seen>();
        if (!Directory.Exists(options.CheckpointDirectory))
            return seen;
        foreach (var file in Directory.GetFiles(options.CheckpointDirectory, "audit-checkpoints-*.jsonl").Order(StringComparer.Ordinal))
        {
            foreach (var checkpoint in Parsed(file))
            {
                foreach (var head in checkpoint.Chains.Where(h => chainId is null || h.Chain == chainId))
                    seen.TryAdd((head.Chain, head.Sequence), new Seen(head.Hash, checkpoint.At));
            }
        }
        return seen;
    }

    private List<Checkpoint> Parsed(string file)
    {
        var info = new FileInfo(file);
        lock (_cacheLock)
        {
            if (_files.TryGetValue(file, out var cached) && cached.Length == info.Length && cached.Written == info.LastWriteTimeUtc)
                return cached.Lines;
        }
        var lines = File.ReadLines(file).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Checkpoint>(l, JsonSerializerOptions.Web)!).ToList();
        lock (_cacheLock)
            _files[file] = (info.Length, info.LastWriteTimeUtc, lines);
        return lines;
    }

    private sealed record HeadRow(Guid Chain, long Sequence, string Hash);
}
