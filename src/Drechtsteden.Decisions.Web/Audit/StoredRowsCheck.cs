using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>
/// The decisions and concept versions as stored, against the audit entries that recorded them (whose hashes the chain
/// walk checks): a row changed, or added without its entry, is found. Both tables are append-only for the app; only a
/// superuser can change them, and this is where it shows.
/// </summary>
/// <remarks>
/// Runs beside one range's chain walk, on the walk's thread: the range's stored rows are read in process order with a
/// binary <c>COPY</c> on a connection of their own, and compared chain by chain as the walk leaves each chain (a
/// process's chain has the process's id), with the entries the walk read anyway. The trail is read once: joining the
/// stored rows to the trail in PostgreSQL read all of <c>audit_entries</c> twice more, hashed it to disk and took about
/// as much of PostgreSQL's CPU as the walks themselves at full size (README, issue 19). Only the few entries of the
/// current chain that recorded a decision or a concept version are kept.
/// A decision matches the entries of its process's chain about it (resource <c>decision</c>, resource id the
/// decision's id); a concept version those about it (resource <c>conceptVersion</c>) and, for version 1, the chain's
/// first entry (the start, which records the first concept under <c>concept</c>). The first difference is kept in
/// (process, decision) and (process, number) order, decisions before concept versions, as one comparison would.
/// </remarks>
internal sealed class StoredRowsCheck : IDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBinaryExporter _rows;
    private readonly List<AuditEntryBytes> _recorded = [];
    private Guid? _chain;
    private StoredRow? _current;
    private bool _ended;

    /// <summary>The first stored decision that differs from (or lacks) its entry, by (process, decision).</summary>
    public (Guid Process, Guid Decision, BrokenEntry Broken)? FirstDecision { get; private set; }

    /// <summary>The first stored concept version that differs from (or lacks) its entry, by (process, number).</summary>
    public (Guid Process, int Number, BrokenEntry Broken)? FirstConcept { get; private set; }

    /// <param name="decisionsWhere">The range's filter on <c>a.process_id</c> (<see cref="AuditVerifier.RangeFilters"/>).</param>
    /// <param name="conceptsWhere">The same range on <c>c.process_id</c>.</param>
    public StoredRowsCheck(string connectionString, string decisionsWhere, string conceptsWhere)
    {
        _connection = new NpgsqlConnection(connectionString);
        _connection.Open();
        // COPY takes no parameters: the range's bounds are process ids (UUIDs), written as literals.
        _rows = _connection.BeginBinaryExport($"""
            COPY (
                SELECT a.process_id, 0, d.id, d.sequence, d.concept_version, d.outcome, d.text, d.decided_on, d.reason, NULL::text, NULL::text
                FROM decisions d JOIN agenda_items a ON a.id = d.item_id {decisionsWhere}
                UNION ALL
                SELECT c.process_id, 1, c.id, c.number, NULL, NULL, c.text, NULL, NULL, c.document_url, c.note
                FROM concept_versions c {conceptsWhere}
                ORDER BY 1) TO STDOUT (FORMAT BINARY)
            """);
        Next();
    }

    /// <summary>One entry of the walk, in (chain, sequence) order: a chain left is compared with its stored rows.</summary>
    public void Add(AuditEntryBytes entry)
    {
        if (entry.ChainId != _chain)
        {
            if (_chain is { } left)
                EndChain(left);
            _chain = entry.ChainId;
            _recorded.Clear();
        }
        if (entry.ChainSequence == 1 || entry.Resource.AsSpan().SequenceEqual("decision"u8) || entry.Resource.AsSpan().SequenceEqual("conceptVersion"u8))
            _recorded.Add(entry);
    }

    /// <summary>After the walk's last entry: its chain, and the stored rows of processes after it (which have no entries).</summary>
    public void Finish()
    {
        if (_chain is { } left)
            EndChain(left);
        _chain = null;
        _recorded.Clear();
        while (_current is { } row)
        {
            Unrecorded(row);
            Next();
        }
    }

    private void EndChain(Guid chain)
    {
        while (_current is { } row && row.Process.CompareTo(chain) < 0)
        {
            Unrecorded(row);
            Next();
        }
        while (_current is { } row && row.Process == chain)
        {
            Compare(row);
            Next();
        }
    }

    /// <summary>A stored row whose process has no entries at all.</summary>
    private void Unrecorded(StoredRow row)
    {
        if (row.IsDecision)
            NoteDecision(row.Process, row.Id, new BrokenEntry(row.Process, 0, null, $"decision {row.Id} has no audit entry that recorded it (added behind the trail's back)"));
        else
            NoteConcept(row.Process, row.Number, new BrokenEntry(row.Process, 0, null, $"concept version {row.Number} has no audit entry that recorded it (added behind the trail's back)"));
    }

    private void Compare(StoredRow row)
    {
        Span<byte> id = stackalloc byte[36];
        row.Id.TryFormat(id, out _, "D");
        var matched = false;
        foreach (var entry in _recorded)
        {
            var isConcept = entry.Resource.AsSpan().SequenceEqual("conceptVersion"u8);
            if (row.IsDecision)
            {
                if (!entry.Resource.AsSpan().SequenceEqual("decision"u8) || !entry.ResourceId.AsSpan().SequenceEqual(id))
                    continue;
                matched = true;
                if (!SameDecision(entry.After, row))
                    NoteDecision(row.Process, row.Id, new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, $"the stored decision {row.Id} differs from what this entry recorded (changed after it was written)"));
            }
            else
            {
                if (!(isConcept && entry.ResourceId.AsSpan().SequenceEqual(id)) && !(row.Number == 1 && entry.ChainSequence == 1))
                    continue;
                matched = true;
                if (!SameConcept(entry.After, isConcept, row))
                    NoteConcept(row.Process, row.Number, new BrokenEntry(entry.ChainId, entry.ChainSequence, entry.Id, $"the stored concept version {row.Number} differs from what this entry recorded (changed after it was written)"));
            }
        }
        if (!matched)
            Unrecorded(row);
    }

    private void NoteDecision(Guid process, Guid decision, BrokenEntry broken)
    {
        if (FirstDecision is not { } f || process.CompareTo(f.Process) < 0 || (process == f.Process && decision.CompareTo(f.Decision) < 0))
            FirstDecision = (process, decision, broken);
    }

    private void NoteConcept(Guid process, int number, BrokenEntry broken)
    {
        if (FirstConcept is not { } f || process.CompareTo(f.Process) < 0 || (process == f.Process && number < f.Number))
            FirstConcept = (process, number, broken);
    }

    /// <summary>The entry recorded the item with this decision as its latest (<see cref="ProcessAudit.ItemJson"/>).</summary>
    private static bool SameDecision(byte[]? after, StoredRow row)
    {
        using var document = Parse(after);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("latestDecision", out var recorded) || recorded.ValueKind != JsonValueKind.Object)
            return false;
        Span<byte> decidedOn = stackalloc byte[10];
        row.DecidedOn.TryFormat(decidedOn, out _, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return Recorded(recorded, "sequence"u8, row.Number)
            && Recorded(recorded, "conceptVersion"u8, row.ConceptVersion)
            && Recorded(recorded, "outcome"u8, row.Outcome)
            && Recorded(recorded, "text"u8, row.Text)
            && Recorded(recorded, "decidedOn"u8, decidedOn)
            && Recorded(recorded, "reason"u8, row.Reason);
    }

    /// <summary>The entry recorded the concept version (<see cref="ProcessAudit"/>'s concept), or — the start — the process with it under <c>concept</c>.</summary>
    private static bool SameConcept(byte[]? after, bool conceptEntry, StoredRow row)
    {
        using var document = Parse(after);
        var recorded = document?.RootElement ?? default;
        if (!conceptEntry && !(recorded.ValueKind == JsonValueKind.Object && recorded.TryGetProperty("concept"u8, out recorded)))
            recorded = default;
        return recorded.ValueKind == JsonValueKind.Object
            && Recorded(recorded, "number"u8, row.Number)
            && Recorded(recorded, "text"u8, row.Text)
            && Recorded(recorded, "documentUrl"u8, row.DocumentUrl)
            && Recorded(recorded, "note"u8, row.Note);
    }

    /// <summary>The recorded document, or null when there is none or it is not JSON (a broken entry, which the walk reports by its hash).</summary>
    private static JsonDocument? Parse(byte[]? after)
    {
        if (after is null)
            return null;
        try
        {
            return JsonDocument.Parse(after);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the recorded document has <paramref name="name"/> as this whole number.</summary>
    private static bool Recorded(JsonElement recorded, ReadOnlySpan<byte> name, int value) =>
        recorded.TryGetProperty(name, out var field) && field.ValueKind == JsonValueKind.Number && field.TryGetInt32(out var number) && number == value;

    /// <summary>True when the recorded document has <paramref name="name"/> as this text (UTF-8), or null (or absent) for null.</summary>
    private static bool Recorded(JsonElement recorded, ReadOnlySpan<byte> name, byte[]? value) =>
        value is null ? Absent(recorded, name) : Recorded(recorded, name, value.AsSpan());

    private static bool Recorded(JsonElement recorded, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        recorded.TryGetProperty(name, out var field) && field.ValueKind == JsonValueKind.String && field.ValueEquals(value);

    private static bool Absent(JsonElement recorded, ReadOnlySpan<byte> name) =>
        !recorded.TryGetProperty(name, out var field) || field.ValueKind == JsonValueKind.Null;

    private void Next()
    {
        if (_ended || _rows.StartRow() == -1)
        {
            _ended = true;
            _current = null;
            return;
        }
        _current = new StoredRow(
            Process: _rows.Read<Guid>(),
            IsDecision: _rows.Read<int>() == 0,
            Id: _rows.Read<Guid>(),
            Number: _rows.Read<int>(),
            ConceptVersion: _rows.ReadNullable<int>() ?? 0,
            Outcome: _rows.ReadNullableText(),
            Text: _rows.ReadNullableText(),
            DecidedOn: _rows.ReadNullable<DateOnly>() ?? default,
            Reason: _rows.ReadNullableText(),
            DocumentUrl: _rows.ReadNullableText(),
            Note: _rows.ReadNullableText());
    }

    /// <summary>
    /// A stored decision (<see cref="Number"/> its sequence) or concept version (<see cref="Number"/> its number); text as
    /// the UTF-8 PostgreSQL sends.
    /// </summary>
    private sealed record StoredRow(Guid Process, bool IsDecision, Guid Id, int Number, int ConceptVersion, byte[]? Outcome, byte[]? Text,
        DateOnly DecidedOn, byte[]? Reason, byte[]? DocumentUrl, byte[]? Note);

    public void Dispose()
    {
        _rows.Dispose();
        _connection.Dispose();
    }
}
