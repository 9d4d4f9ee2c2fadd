using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>
/// A process aggregate's rows as they are stored, and the statements that make the store what the aggregate is now:
/// the process row and the agenda items that differ are updated, the decisions, concept versions and deadline changes
/// made since are inserted (they are append-only: the database refuses to change or delete a decision or a concept
/// version). A process created in this transaction is inserted whole. When anything in the aggregate changed the
/// process row is written (its xmin is the version the API and the list's cache use), and its new version is read
/// back in the same round trip. Column names as EF Core's model has them (<c>ProcessRowsTests</c> compares a process
/// written here with EF Core's read of it, column by column).
/// </summary>
public sealed class ProcessRows
{
    private ProcessRow? _process;
    private readonly Dictionary<Guid, (ItemRow Row, int Decisions)> _items = [];
    private int _concepts;
    private int _deadlineChanges;

    /// <param name="version">The row's xmin as read under its lock; null for a process that is new in this transaction.</param>
    public ProcessRows(DecisionProcess process, uint? version)
    {
        Process = process;
        if (version is { } v)
        {
            Version = v;
            Remember(ProcessRow.Of(process));
        }
    }

    public DecisionProcess Process { get; }

    /// <summary>The row's version (xmin) as last read or written.</summary>
    public uint Version { get; private set; }

    /// <summary>The statements that bring the stored rows up to the aggregate (none when nothing changed); then they are what is stored.</summary>
    internal void AddChanges(Action<WriteBatchEntry> add)
    {
        var p = Process;
        var processRow = ProcessRow.Of(p);
        var changes = new List<WriteBatchEntry>();
        if (_process is null)
        {
            foreach (var item in p.Items)
                changes.Add(InsertItem(item));
        }
        else
        {
            foreach (var item in p.Items)
            {
                if (!_items.TryGetValue(item.Id, out var stored))
                    changes.Add(InsertItem(item));
                else if (stored.Row != ItemRow.Of(item))
                    changes.Add(UpdateItem(item));
            }
        }
        foreach (var concept in p.Concepts.Skip(_process is null ? 0 : _concepts))
            changes.Add(InsertConcept(concept));
        foreach (var item in p.Items)
        {
            var known = _process is not null && _items.TryGetValue(item.Id, out var stored) ? stored.Decisions : 0;
            foreach (var decision in item.Decisions.Skip(known))
                changes.Add(InsertDecision(decision));
        }
        foreach (var change in p.DeadlineChanges.Skip(_deadlineChanges))
            changes.Add(InsertDeadlineChange(change));

        if (_process is null)
            add(InsertProcess(processRow));
        else if (changes.Count > 0 || processRow != _process)
            add(UpdateProcess(processRow));
        foreach (var change in changes)
            add(change);
        Remember(processRow);
    }

    /// <summary>What is stored now: the process row as given (made once per save: its timer offsets are serialized), the children counted.</summary>
    private void Remember(ProcessRow processRow)
    {
        _process = processRow;
        _items.Clear();
        foreach (var item in Process.Items)
            _items[item.Id] = (ItemRow.Of(item), item.Decisions.Count);
        _concepts = Process.Concepts.Count;
        _deadlineChanges = Process.DeadlineChanges.Count;
    }

    private const string ProcessColumns =
        "definition_id, definition_version, region_code, title, reference, state, deadline_at, deadline_date, synchronization_window_start, " +
        "publication_at, cancellation_reason, created_at, created_by, updated_at, revision, timer_offsets";

    private WriteBatchEntry InsertProcess(ProcessRow r) => new(
        () => WriteBatch.Command(
            $"INSERT INTO processes (id, {ProcessColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING xmin",
            [Process.Id, .. r.Values()]),
        ReadVersion, 1);

    private WriteBatchEntry UpdateProcess(ProcessRow r) => new(
        () => WriteBatch.Command(
            "UPDATE processes SET definition_id = $2, definition_version = $3, region_code = $4, title = $5, reference = $6, state = $7, " +
            "deadline_at = $8, deadline_date = $9, synchronization_window_start = $10, publication_at = $11, cancellation_reason = $12, " +
            "created_at = $13, created_by = $14, updated_at = $15, revision = $16, timer_offsets = $17 WHERE id = $1 RETURNING xmin",
            [Process.Id, .. r.Values()]),
        ReadVersion, 1);

    private void ReadVersion(NpgsqlDataReader reader) => Version = reader.GetFieldValue<uint>(0);

    private static WriteBatchEntry InsertItem(AgendaItem i) => new(() => WriteBatch.Command(
        "INSERT INTO agenda_items (id, process_id, municipality_code, state, meeting_id, meeting_starts_at, council_informed_on, council_link, " +
        "council_confirmed_at, council_confirmed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        i.Id, i.ProcessId, i.MunicipalityCode, i.State, i.MeetingId, i.MeetingStartsAt, i.CouncilInformedOn, i.CouncilLink, i.CouncilConfirmedAt,
        i.CouncilConfirmedBy), null, 1);

    private static WriteBatchEntry UpdateItem(AgendaItem i) => new(() => WriteBatch.Command(
        "UPDATE agenda_items SET state = $2, meeting_id = $3, meeting_starts_at = $4, council_informed_on = $5, council_link = $6, " +
        "council_confirmed_at = $7, council_confirmed_by = $8 WHERE id = $1",
        i.Id, i.State, i.MeetingId, i.MeetingStartsAt, i.CouncilInformedOn, i.CouncilLink, i.CouncilConfirmedAt, i.CouncilConfirmedBy), null, 1);

    private static WriteBatchEntry InsertConcept(ConceptVersion c) => new(() => WriteBatch.Command(
        "INSERT INTO concept_versions (id, process_id, number, text, document_url, note, created_at, created_by, council_letter) " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        c.Id, c.ProcessId, c.Number, c.Text, c.DocumentUrl, c.Note, c.CreatedAt, c.CreatedBy, c.CouncilLetter), null, 1);

    private static WriteBatchEntry InsertDecision(Decision d) => new(() => WriteBatch.Command(
        "INSERT INTO decisions (id, item_id, sequence, concept_version, outcome, text, decided_on, reason, meeting_id, text_matches_concept, " +
        "recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        d.Id, d.ItemId, d.Sequence, d.ConceptVersion, d.Outcome.ToString(), d.Text, d.DecidedOn, d.Reason, d.MeetingId, d.TextMatchesConcept,
        d.RecordedAt, d.RecordedBy), null, 1);

    private static WriteBatchEntry InsertDeadlineChange(DeadlineChange c) => new(() => WriteBatch.Command(
        "INSERT INTO deadline_changes (id, process_id, old_deadline_at, old_deadline_date, new_deadline_at, new_deadline_date, reason, changed_at, " +
        "changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        c.Id, c.ProcessId, c.OldDeadlineAt, c.OldDeadlineDate, c.NewDeadlineAt, c.NewDeadlineDate, c.Reason, c.ChangedAt, c.ChangedBy), null, 1);

    /// <summary>The process row's columns (all but its key), compared as a value.</summary>
    private sealed record ProcessRow(string DefinitionId, int DefinitionVersion, string RegionCode, string Title, string Reference, string State,
        DateTimeOffset DeadlineAt, DateOnly? DeadlineDate, DateOnly? SynchronizationWindowStart, DateTimeOffset? PublicationAt, string? CancellationReason,
        DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, int Revision, string TimerOffsets)
    {
        public static ProcessRow Of(DecisionProcess p) => new(p.DefinitionId, p.DefinitionVersion, p.RegionCode, p.Title, p.Reference, p.State,
            p.DeadlineAt, p.DeadlineDate, p.SynchronizationWindowStart, p.PublicationAt, p.CancellationReason, p.CreatedAt, p.CreatedBy, p.UpdatedAt,
            p.Revision, JsonSerializer.Serialize(p.TimerOffsets, JsonSerializerOptions.Default));

        public object?[] Values() => [DefinitionId, DefinitionVersion, RegionCode, Title, Reference, State, DeadlineAt, DeadlineDate,
            SynchronizationWindowStart, PublicationAt, CancellationReason, CreatedAt, CreatedBy, UpdatedAt, Revision, WriteBatch.Json(TimerOffsets)];
    }

    /// <summary>An agenda item's columns that change.</summary>
    private sealed record ItemRow(string State, Guid? MeetingId, DateTimeOffset? MeetingStartsAt, DateOnly? CouncilInformedOn, string? CouncilLink,
        DateTimeOffset? CouncilConfirmedAt, string? CouncilConfirmedBy)
    {
        public static ItemRow Of(AgendaItem i) =>
            new(i.State, i.MeetingId, i.MeetingStartsAt, i.CouncilInformedOn, i.CouncilLink, i.CouncilConfirmedAt, i.CouncilConfirmedBy);
    }
}
