using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>
/// Reads a process aggregate by hand: the process row (with its version, xmin), then its concept versions, its agenda
/// items and their decisions as three more statements of the caller's batch (a command's read under its lock, or a
/// reader's in one REPEATABLE READ snapshot). One path for the commands, the resource and the page; EF Core's
/// no-tracking shaper made delegates on every execution and joined concepts × decisions into one result, with every
/// concept text repeated per decision. Column names as EF Core's model has them (<c>ProcessRowsTests</c> and
/// <c>CommandReadTests</c> compare this read with EF Core's).
/// </summary>
public static class ProcessReader
{
    /// <summary>The process row's columns in the order <see cref="ReadAsync"/> reads them (the caller's statement selects them).</summary>
    public const string ProcessColumns =
        "id, definition_id, definition_version, region_code, title, reference, state, deadline_at, deadline_date, synchronization_window_start, " +
        "publication_at, cancellation_reason, created_at, created_by, updated_at, revision, timer_offsets, xmin";

    /// <summary>The statements that read the process's concept versions, items and decisions, after the caller's process statement.</summary>
    public static void AddChildReads(NpgsqlBatch batch, Guid processId)
    {
        batch.BatchCommands.Add(WriteBatch.Command(
            "SELECT id, process_id, number, text, document_url, note, created_at, created_by, council_letter FROM concept_versions WHERE process_id = $1 ORDER BY number",
            processId));
        batch.BatchCommands.Add(WriteBatch.Command(
            "SELECT id, process_id, municipality_code, state, meeting_id, meeting_starts_at, council_informed_on, council_link, council_confirmed_at, " +
            "council_confirmed_by FROM agenda_items WHERE process_id = $1 ORDER BY id",
            processId));
        batch.BatchCommands.Add(WriteBatch.Command(
            "SELECT d.id, d.item_id, d.sequence, d.concept_version, d.outcome, d.text, d.decided_on, d.reason, d.meeting_id, d.text_matches_concept, " +
            "d.recorded_at, d.recorded_by FROM decisions d JOIN agenda_items i ON i.id = d.item_id WHERE i.process_id = $1 ORDER BY d.item_id, d.sequence",
            processId));
    }

    /// <summary>
    /// Reads the process statement's result and the three of <see cref="AddChildReads"/>; leaves the reader on the next
    /// statement's result. Null when the process statement found no row.
    /// </summary>
    public static async Task<(DecisionProcess Process, uint Version)?> ReadAsync(NpgsqlDataReader r, CancellationToken cancellationToken)
    {
        ProcessValues? values = await r.ReadAsync(cancellationToken) ? ProcessValues.Of(r) : null;
        await r.NextResultAsync(cancellationToken);
        var concepts = new List<ConceptVersion>();
        while (await r.ReadAsync(cancellationToken))
        {
            concepts.Add(ConceptVersion.FromStored(r.GetGuid(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), NullableString(r, 4), NullableString(r, 5),
                r.GetFieldValue<DateTimeOffset>(6), r.GetString(7), NullableString(r, 8)));
        }
        await r.NextResultAsync(cancellationToken);
        var items = new List<ItemValues>();
        while (await r.ReadAsync(cancellationToken))
            items.Add(ItemValues.Of(r));
        await r.NextResultAsync(cancellationToken);
        var decisions = new Dictionary<Guid, List<Decision>>();
        while (await r.ReadAsync(cancellationToken))
        {
            var itemId = r.GetGuid(1);
            if (!decisions.TryGetValue(itemId, out var list))
                decisions[itemId] = list = [];
            list.Add(Decision.FromStored(r.GetGuid(0), itemId, r.GetInt32(2), r.GetInt32(3), Enum.Parse<DecisionOutcome>(r.GetString(4)), NullableString(r, 5),
                r.GetFieldValue<DateOnly>(6), NullableString(r, 7), NullableGuid(r, 8), r.GetBoolean(9), r.GetFieldValue<DateTimeOffset>(10), r.GetString(11)));
        }
        await r.NextResultAsync(cancellationToken);
        if (values is not { } v)
            return null;
        var process = DecisionProcess.FromStored(v.Id, v.DefinitionId, v.DefinitionVersion, v.RegionCode, v.Title, v.Reference, v.State, v.DeadlineAt,
            v.DeadlineDate, v.SynchronizationWindowStart, v.PublicationAt, v.CancellationReason, v.CreatedAt, v.CreatedBy, v.UpdatedAt, v.Revision,
            JsonSerializer.Deserialize<Dictionary<string, int[]>>(v.TimerOffsets, JsonSerializerOptions.Default) ?? [],
            concepts,
            items.Select(i => AgendaItem.FromStored(i.Id, i.ProcessId, i.MunicipalityCode, i.State, i.MeetingId, i.MeetingStartsAt, i.CouncilInformedOn,
                i.CouncilLink, i.CouncilConfirmedAt, i.CouncilConfirmedBy, decisions.GetValueOrDefault(i.Id) ?? [])));
        return (process, v.Version);
    }

    private static string? NullableString(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private static Guid? NullableGuid(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetGuid(ordinal);

    private static T? Nullable<T>(NpgsqlDataReader r, int ordinal) where T : struct => r.IsDBNull(ordinal) ? null : r.GetFieldValue<T>(ordinal);

    private sealed record ProcessValues(Guid Id, string DefinitionId, int DefinitionVersion, string RegionCode, string Title, string Reference, string State,
        DateTimeOffset DeadlineAt, DateOnly? DeadlineDate, DateOnly? SynchronizationWindowStart, DateTimeOffset? PublicationAt, string? CancellationReason,
        DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, int Revision, string TimerOffsets, uint Version)
    {
        public static ProcessValues Of(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.GetString(5),
            r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), Nullable<DateOnly>(r, 8), Nullable<DateOnly>(r, 9), Nullable<DateTimeOffset>(r, 10),
            NullableString(r, 11), r.GetFieldValue<DateTimeOffset>(12), r.GetString(13), r.GetFieldValue<DateTimeOffset>(14), r.GetInt32(15), r.GetString(16),
            r.GetFieldValue<uint>(17));
    }

    private sealed record ItemValues(Guid Id, Guid ProcessId, string MunicipalityCode, string State, Guid? MeetingId, DateTimeOffset? MeetingStartsAt,
        DateOnly? CouncilInformedOn, string? CouncilLink, DateTimeOffset? CouncilConfirmedAt, string? CouncilConfirmedBy)
    {
        public static ItemValues Of(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), NullableGuid(r, 4),
            Nullable<DateTimeOffset>(r, 5), Nullable<DateOnly>(r, 6), NullableString(r, 7), Nullable<DateTimeOffset>(r, 8), NullableString(r, 9));
    }
}
