using System.Globalization;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Processes;

/// <summary>
/// What the API and the web pages read about processes, as the reader may see them: the visibility filter, the
/// embargo (the definition says in which states it is lifted), and what the reader may do now (from the engine).
/// </summary>
public sealed class ProcessQueries(DecisionsDbContext db, DecisionWorkflow workflow, TimeProvider clock, ProcessFactsCache factsCache)
{
    public DateTimeOffset Now => clock.GetUtcNow();

    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;

    /// <summary>
    /// The list is index-driven queries — the page of processes with their versions, the latest decision of each item of
    /// the processes whose facts are not cached at that version (<see cref="ProcessFactsCache"/>), the colleges' next
    /// meetings — and no aggregate is loaded. Gelijkluidend = an adoption on the current concept version with the concept's text.
    /// </summary>
    /// <param name="search">Words that the title or the zaaknummer contains (case-insensitive), or null.</param>
    public async Task<List<ProcessSummary>> ListAsync(Actor actor, string? region, int offset = 0, int limit = DefaultPageSize, string? search = null, CancellationToken cancellationToken = default)
    {
        if (offset < 0)
            throw DomainException.Invalid("offset-invalid", "offset is zero or more.", "offset");
        if (limit is < 1 or > MaxPageSize)
            throw DomainException.Invalid("limit-invalid", $"limit is between 1 and {MaxPageSize}.", "limit");
        var now = clock.GetUtcNow();
        if (search is { Length: > Input.Limits.Title })
            throw DomainException.Invalid("search-too-long", $"q is at most {Input.Limits.Title} characters.", "q");
        List<ListRow> rows;
        if (string.IsNullOrWhiteSpace(search))
        {
            // Compiled, one query per kind of scope (each keeps its own index: (region_code, deadline_at, id) or (deadline_at, id)).
            var page = ProcessVisibility.ScopeOf(actor, region) switch
            {
                { Region: { } code } => PageOfRegion(db, code, offset, limit),
                { Municipality: { } code } => PageOfMunicipality(db, code, offset, limit),
                _ => PageOfAll(db, offset, limit),
            };
            rows = [];
            await foreach (var row in page.WithCancellation(cancellationToken))
                rows.Add(row);
        }
        else
        {
            var pattern = $"%{search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)}%";
            rows = await ListPage(db.Processes.AsNoTracking().Readable(actor, region)
                .Where(p => EF.Functions.ILike(p.Title, pattern) || EF.Functions.ILike(p.Reference, pattern)), offset, limit).ToListAsync(cancellationToken);
        }
        // What the status rules read of each process, by the version just read (ProcessFactsCache): only the processes
        // that changed since they were last listed have their items read again.
        var facts = new Dictionary<Guid, ProcessFacts>(rows.Count);
        var changed = new List<Guid>();
        foreach (var p in rows)
        {
            if (factsCache.TryGet(p.Id, p.Version, out var known))
                facts[p.Id] = known;
            else
                changed.Add(p.Id);
        }
        if (changed.Count > 0)
        {
            // Each item's latest decision, through the (item_id, sequence) index: LINQ's "first of each group" would
            // number every decision in the database on every call. Read after the versions: never older than they say.
            var ids = changed.ToArray();
            var latest = (await db.Database.SqlQuery<LatestDecisionRow>($"""
                SELECT p.id AS process_id, (SELECT max(c.number) FROM concept_versions c WHERE c.process_id = p.id) AS current_concept,
                       a.municipality_code, a.meeting_starts_at, a.council_informed_on, d.outcome, d.concept_version, d.text_matches_concept
                FROM unnest({ids}) AS p(id)
                LEFT JOIN agenda_items a ON a.process_id = p.id
                LEFT JOIN LATERAL (SELECT outcome, concept_version, text_matches_concept FROM decisions WHERE item_id = a.id ORDER BY sequence DESC LIMIT 1) d ON true
                ORDER BY p.id, a.municipality_code
                """).ToListAsync(cancellationToken)).ToLookup(r => r.ProcessId);
            foreach (var p in rows.Where(p => !facts.ContainsKey(p.Id)))
            {
                var items = latest[p.Id];
                var read = new ProcessFacts(p.State, Deadline.FromStored(p.DeadlineAt, p.DeadlineDate), p.SynchronizationWindowStart, p.PublicationAt,
                    items.Select(i => i.CurrentConcept).FirstOrDefault() ?? 0,
                    items.Where(i => i.MunicipalityCode is not null).Select(i => new ItemFacts(i.MunicipalityCode!, i.MeetingStartsAt,
                        i.Outcome is { } o ? Enum.Parse<DecisionOutcome>(o) : null, i.ConceptVersion ?? 0, i.TextMatchesConcept ?? false, i.CouncilInformedOn)).ToList());
                facts[p.Id] = read;
                factsCache.Store(p.Id, p.Version, read);
            }
        }
        // The colleges' next planned meeting, for the status lights: only of the colleges whose light reads the calendar
        // (ProcessStatusRules.CalendarsRead: not yet decided and not on a meeting, before the deadline), and of those only
        // whether the college still meets before the deadline or the target week's end, which its earliest coming
        // meeting answers (one row per college, from the (municipality_code, starts_at) index).
        var asked = rows.SelectMany(p => ProcessStatusRules.CalendarsRead(workflow.Definition(p.DefinitionId, p.DefinitionVersion), facts[p.Id], now)).Distinct().ToList();
        var planned = asked.Count == 0 ? new Dictionary<string, IReadOnlyList<DateTimeOffset>>() : await NextMeetingsAsync(asked, now, cancellationToken);
        return rows.Select(p =>
        {
            var definition = workflow.Definition(p.DefinitionId, p.DefinitionVersion);
            // Under the embargo the counts would tell who amended: they are left out, and a state that reveals decisions reads as the initial one.
            var underEmbargo = Embargo.Applies(definition.IsEmbargoLifted(p.State), actor);
            var read = facts[p.Id];
            var status = ProcessStatusRules.Of(definition, read, planned, now);
            var overseer = actor.Role is Role.Coordinator or Role.Auditor or Role.Admin;
            return new ProcessSummary(p.Id, p.Title, p.Reference, p.RegionCode, Pinned(p.DefinitionId, p.DefinitionVersion),
                underEmbargo ? definition.EmbargoedProcessState(p.State) : p.State, p.DeadlineAt, p.DeadlineDate,
                (int)Math.Ceiling((p.DeadlineAt - now).TotalDays), read.Items.Count,
                underEmbargo ? null : read.Items.Count(read.IsIdentical),
                underEmbargo ? null : read.Items.Count(i => i.LatestOutcome is { } o && o != DecisionOutcome.Deferred),
                underEmbargo ? null : status.Light,
                underEmbargo ? [] : status.Colleges.Where(c => c.Light != StatusLight.OnTrack).Select(c => new CollegeAttention(c.Municipality, c.Light, c.Reason)).ToList(),
                overseer ? status.Next : null,
                MyAction(actor, status, overseer));
        }).ToList();
    }

    /// <summary>A row of the list's page: the process's own columns and its row version.</summary>
    private sealed record ListRow(Guid Id, string Title, string Reference, string RegionCode, string DefinitionId, int DefinitionVersion, string State,
        DateTimeOffset DeadlineAt, DateOnly? DeadlineDate, DateOnly? SynchronizationWindowStart, DateTimeOffset? PublicationAt, uint Version);

    /// <summary>By deadline, then id (the indexes' order), <paramref name="limit"/> from <paramref name="offset"/>.</summary>
    private static IQueryable<ListRow> ListPage(IQueryable<DecisionProcess> processes, int offset, int limit) =>
        processes.OrderBy(p => p.DeadlineAt).ThenBy(p => p.Id).Skip(offset).Take(limit)
            .Select(p => new ListRow(p.Id, p.Title, p.Reference, p.RegionCode, p.DefinitionId, p.DefinitionVersion, p.State, p.DeadlineAt, p.DeadlineDate,
                p.SynchronizationWindowStart, p.PublicationAt, EF.Property<uint>(p, "Version")));

    // The list's page per kind of scope (ProcessVisibility.Readable, the same rule; SecurityTests reads the list as nine
    // accounts), compiled once: no expression tree to walk and look up per call. A compiled query cannot call ListPage.
    private static readonly Func<DecisionsDbContext, int, int, IAsyncEnumerable<ListRow>> PageOfAll =
        EF.CompileAsyncQuery((DecisionsDbContext db, int offset, int limit) =>
            db.Processes.AsNoTracking().OrderBy(p => p.DeadlineAt).ThenBy(p => p.Id).Skip(offset).Take(limit)
                .Select(p => new ListRow(p.Id, p.Title, p.Reference, p.RegionCode, p.DefinitionId, p.DefinitionVersion, p.State, p.DeadlineAt, p.DeadlineDate,
                    p.SynchronizationWindowStart, p.PublicationAt, EF.Property<uint>(p, "Version"))));

    private static readonly Func<DecisionsDbContext, string, int, int, IAsyncEnumerable<ListRow>> PageOfRegion =
        EF.CompileAsyncQuery((DecisionsDbContext db, string region, int offset, int limit) =>
            db.Processes.AsNoTracking().Where(p => p.RegionCode == region).OrderBy(p => p.DeadlineAt).ThenBy(p => p.Id).Skip(offset).Take(limit)
                .Select(p => new ListRow(p.Id, p.Title, p.Reference, p.RegionCode, p.DefinitionId, p.DefinitionVersion, p.State, p.DeadlineAt, p.DeadlineDate,
                    p.SynchronizationWindowStart, p.PublicationAt, EF.Property<uint>(p, "Version"))));

    private static readonly Func<DecisionsDbContext, string, int, int, IAsyncEnumerable<ListRow>> PageOfMunicipality =
        EF.CompileAsyncQuery((DecisionsDbContext db, string municipality, int offset, int limit) =>
            db.Processes.AsNoTracking().Where(p => p.Items.Any(i => i.MunicipalityCode == municipality)).OrderBy(p => p.DeadlineAt).ThenBy(p => p.Id).Skip(offset).Take(limit)
                .Select(p => new ListRow(p.Id, p.Title, p.Reference, p.RegionCode, p.DefinitionId, p.DefinitionVersion, p.State, p.DeadlineAt, p.DeadlineDate,
                    p.SynchronizationWindowStart, p.PublicationAt, EF.Property<uint>(p, "Version"))));

    /// <summary>What the reader has to do in the process now, in words, or null ("mijn acties").</summary>
    public static string? MyAction(Actor actor, ProcessStatus status, bool overseer)
    {
        if (overseer)
            return actor.Role == Role.Coordinator && status.Next is { Code: not ("wait" or "publication-planned" or "wait-councils") } next ? next.Text : null;
        if (actor.MunicipalityCode is not { } code || status.Colleges.FirstOrDefault(c => c.Municipality == code) is not { } own)
            return null;
        var reason = own.Reason;
        return actor.Role switch
        {
            Role.Secretary when reason == ProcessStatusRules.ToSchedule || reason == ProcessStatusRules.Deferred || reason == ProcessStatusRules.NoMeetingInTargetWeek
                || reason == ProcessStatusRules.AfterTargetWeek || reason == ProcessStatusRules.BeforeTargetWeek => "agenderen",
            Role.College when reason == ProcessStatusRules.AwaitingRecord || reason == ProcessStatusRules.NotRecorded => "besluit vastleggen",
            Role.Griffier when reason == ProcessStatusRules.CouncilToInform || reason == ProcessStatusRules.CouncilLate => "raad informeren",
            _ => null,
        };
    }

    private sealed record LatestDecisionRow(Guid ProcessId, int? CurrentConcept, string? MunicipalityCode, DateTimeOffset? MeetingStartsAt, DateOnly? CouncilInformedOn, string? Outcome, int? ConceptVersion, bool? TextMatchesConcept);

    /// <summary>The process as <paramref name="actor"/> may see it (embargo applied), or null when it is not theirs to see.</summary>
    public async Task<ProcessDto?> GetAsync(Guid id, Actor actor, string? region, CancellationToken cancellationToken = default) =>
        (await ReadAsync(id, actor, region, cancellationToken))?.Dto;

    /// <summary>The DTO and the aggregate it was made from, in one read (pages need both: the definition, the meetings).</summary>
    public async Task<(ProcessDto Dto, DecisionProcess Process)?> ReadAsync(Guid id, Actor actor, string? region, CancellationToken cancellationToken = default)
    {
        // One round trip: the aggregate, its version (the ETag) and its colleges' planned meetings until the deadline.
        var now = clock.GetUtcNow();
        var planned = new PlannedRead(id, now);
        var read = await ReadOneAsync(id, ProcessVisibility.ScopeOf(actor, region), [planned], cancellationToken);
        if (read is null)
            return null;
        return (View(read.Value.Process, read.Value.Version, actor, ByCollege(planned.Starts), now), read.Value.Process);
    }

    /// <summary>
    /// The DTO and the aggregate, with the planned meetings of its colleges in the window <paramref name="window"/> gives
    /// for the aggregate (the page's timeline), and <paramref name="more"/> read with them: one round trip, one snapshot.
    /// The DTO's own planned meetings — from now until the deadline — are taken from the same rows, so the page reads the
    /// meetings once. The meetings are read in a range the database works out from the process (<see cref="MeetingsAroundRead"/>);
    /// a window outside it (which the page's does not ask for) is read again, exactly.
    /// </summary>
    public async Task<(ProcessDto Dto, DecisionProcess Process, List<Meeting> Meetings)?> ReadWithMeetingsAsync(Guid id, Actor actor, string? region,
        DateTimeOffset now, Func<DecisionProcess, (DateTimeOffset From, DateTimeOffset Until)> window, IReadOnlyList<SnapshotRead> more, CancellationToken cancellationToken = default)
    {
        var around = new MeetingsAroundRead(id, now);
        if (await ReadOneAsync(id, ProcessVisibility.ScopeOf(actor, region), [around, .. more], cancellationToken) is not { } read)
            return null;
        var p = read.Process;
        var (from, until) = window(p);
        var (readFrom, readUntil) = (from < now ? from : now, until > p.DeadlineAt ? until : p.DeadlineAt);
        var rows = around.From <= readFrom && around.Until >= readUntil
            ? around.Meetings
            : await PlannedMeetings(db, p.Items.Select(i => i.MunicipalityCode).ToArray(), readFrom, readUntil).ToListAsync(cancellationToken);
        var planned = ByCollege(rows.Where(m => m.StartsAt > now && m.StartsAt < p.DeadlineAt).Select(m => (m.MunicipalityCode, m.StartsAt)));
        return (View(p, read.Version, actor, planned, now), p, rows.Where(m => m.StartsAt >= from && m.StartsAt <= until).ToList());
    }

    /// <summary>Meeting starts per college, in the order given (earliest first).</summary>
    private static Dictionary<string, IReadOnlyList<DateTimeOffset>> ByCollege(IEnumerable<(string Code, DateTimeOffset StartsAt)> starts) =>
        starts.GroupBy(s => s.Code).ToDictionary(g => g.Key, g => (IReadOnlyList<DateTimeOffset>)g.Select(s => s.StartsAt).ToList());

    /// <summary>The planned meetings of the colleges from one instant to another (both included), earliest first.</summary>
    private static readonly Func<DecisionsDbContext, string[], DateTimeOffset, DateTimeOffset, IAsyncEnumerable<Meeting>> PlannedMeetings =
        EF.CompileAsyncQuery<DecisionsDbContext, string[], DateTimeOffset, DateTimeOffset, Meeting>((DecisionsDbContext db, string[] codes, DateTimeOffset from, DateTimeOffset until) =>
            db.Meetings.AsNoTracking()
                .Where(m => codes.Contains(m.MunicipalityCode) && m.Status == MeetingStatus.Planned && m.StartsAt >= from && m.StartsAt <= until)
                .OrderBy(m => m.StartsAt));

    /// <summary>The aggregate itself, read-only, for pages that need more than the DTO (the definition, the items' meetings).</summary>
    public async Task<DecisionProcess?> FindAsync(Guid id, Actor actor, string? region, CancellationToken cancellationToken = default)
    {
        return (await ReadOneAsync(id, ProcessVisibility.ScopeOf(actor, region), [], cancellationToken))?.Process;
    }

    /// <summary>The planned meetings of the process's colleges after <c>after</c> and before its deadline, earliest first.</summary>
    private sealed class PlannedRead(Guid id, DateTimeOffset after) : SnapshotRead
    {
        public List<(string Code, DateTimeOffset StartsAt)> Starts { get; } = [];

        public override void Add(NpgsqlBatch batch) => batch.BatchCommands.Add(WriteBatch.Command(
            "SELECT municipality_code, starts_at FROM meetings WHERE municipality_code IN (SELECT municipality_code FROM agenda_items WHERE process_id = $1) " +
            "AND status = $2 AND starts_at > $3 AND starts_at < (SELECT deadline_at FROM processes WHERE id = $1) ORDER BY starts_at",
            id, nameof(MeetingStatus.Planned), after));

        public override async Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            while (await reader.ReadAsync(cancellationToken))
                Starts.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
            await reader.NextResultAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The planned meetings of the process's colleges around it, earliest first: from five days before the earliest of
    /// its items' meetings, now and six weeks before its deadline, to six days after the later of its deadline and now —
    /// with the range itself (<see cref="From"/>, <see cref="Until"/>), so the caller knows what it holds. The page's
    /// timeline (three days before, four after, from the start of the day in Amsterdam) and the meetings from now until
    /// the deadline lie in it. The range is worked out once (MATERIALIZED: inlined, PostgreSQL evaluated it again for
    /// every meeting row, ≈ 1,000 buffer reads instead of 60 for a process of seven colleges).
    /// </summary>
    private sealed class MeetingsAroundRead(Guid id, DateTimeOffset now) : SnapshotRead
    {
        public DateTimeOffset From { get; private set; } = DateTimeOffset.MaxValue;
        public DateTimeOffset Until { get; private set; } = DateTimeOffset.MinValue;
        public List<Meeting> Meetings { get; } = [];

        public override void Add(NpgsqlBatch batch) => batch.BatchCommands.Add(WriteBatch.Command("""
            WITH r AS MATERIALIZED (
                SELECT least((SELECT min(i.meeting_starts_at) FROM agenda_items i WHERE i.process_id = p.id AND i.meeting_id IS NOT NULL),
                             $2, p.deadline_at - interval '42 days') - interval '5 days' AS from_at,
                       greatest(p.deadline_at, $2) + interval '6 days' AS until_at
                FROM processes p WHERE p.id = $1)
            SELECT r.from_at, r.until_at, m.id, m.municipality_code, m.starts_at, m.note
            FROM r LEFT JOIN meetings m ON m.municipality_code IN (SELECT municipality_code FROM agenda_items WHERE process_id = $1)
                AND m.status = $3 AND m.starts_at >= r.from_at AND m.starts_at <= r.until_at
            ORDER BY m.starts_at
            """, id, now, nameof(MeetingStatus.Planned)));

        public override async Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                (From, Until) = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1));
                if (!reader.IsDBNull(2))
                {
                    Meetings.Add(Meeting.FromStored(reader.GetGuid(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4), MeetingStatus.Planned,
                        reader.IsDBNull(5) ? null : reader.GetString(5)));
                }
            }
            await reader.NextResultAsync(cancellationToken);
        }
    }

    /// <summary>
    /// One process as a reader may see it (<see cref="ProcessVisibility.ScopeOf"/>: a region, a municipality taking part,
    /// or, both null, every process), in one round trip (<see cref="ProcessReader"/>): the process row, its children and
    /// what <paramref name="more"/> reads with them. The statements read one snapshot (REPEATABLE READ, read-only, begun
    /// and committed in the same batch), so the version is the version of exactly these rows. Null — and nothing of
    /// <paramref name="more"/> to be used — when the process is not the reader's to see.
    /// </summary>
    private async Task<(DecisionProcess Process, uint Version)?> ReadOneAsync(Guid id, ReadScope scope, IReadOnlyList<SnapshotRead> more, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction;
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), transaction);
            if (transaction is null)
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
            batch.BatchCommands.Add(WriteBatch.Command(
                $"SELECT {ProcessReader.ProcessColumns} FROM processes p WHERE p.id = $1 AND ($2::text IS NULL OR p.region_code = $2) " +
                "AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM agenda_items i WHERE i.process_id = p.id AND i.municipality_code = $3))",
                id, scope.Region, scope.Municipality));
            ProcessReader.AddChildReads(batch, id);
            foreach (var read in more)
                read.Add(batch);
            if (transaction is null)
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            if (await ProcessReader.ReadAsync(reader, cancellationToken) is not { } aggregate)
                return null;
            foreach (var read in more)
                await read.ReadAsync(reader, cancellationToken);
            return aggregate;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The college's planned meetings from now until the process's deadline: what a secretary may choose from.</summary>
    public Task<List<Meeting>> SchedulableMeetingsAsync(DecisionProcess process, string code, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        return db.Meetings.AsNoTracking()
            .Where(m => m.MunicipalityCode == code && m.Status == MeetingStatus.Planned && m.StartsAt > now && m.StartsAt < process.DeadlineAt)
            .OrderBy(m => m.StartsAt).ToListAsync(cancellationToken);
    }

    /// <summary>How a process names the definition it is pinned to: id@version.</summary>
    public static string Pinned(string definitionId, int version) => $"{definitionId}@{version.ToString(CultureInfo.InvariantCulture)}";

    public static int DaysLeft(DecisionProcess p, DateTimeOffset now) => (int)Math.Ceiling((p.DeadlineAt - now).TotalDays);

    /// <summary>Per college, the start of its earliest planned meeting after <paramref name="now"/> (enough for the status lights, <see cref="ProcessStatusRules.College"/>).</summary>
    public async Task<Dictionary<string, IReadOnlyList<DateTimeOffset>>> NextMeetingsAsync(IReadOnlyCollection<string> codes, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // One index probe per college on (municipality_code, starts_at), the first row only: grouping every planned
        // meeting of the colleges to take each one's minimum read ≈ 5,700 rows at full size for the 100 processes of a page.
        var list = codes.ToArray();
        var planned = nameof(MeetingStatus.Planned);
        var rows = await db.Database.SqlQuery<NextMeetingRow>($"""
            SELECT c.code AS municipality_code, n.starts_at
            FROM unnest({list}) AS c(code)
            CROSS JOIN LATERAL (SELECT m.starts_at FROM meetings m
                WHERE m.municipality_code = c.code AND m.status = {planned} AND m.starts_at > {now} ORDER BY m.starts_at LIMIT 1) n
            """).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.MunicipalityCode, r => (IReadOnlyList<DateTimeOffset>)[r.StartsAt]);
    }

    private sealed record NextMeetingRow(string MunicipalityCode, DateTimeOffset StartsAt);

    /// <summary>Per college, the starts of its planned meetings after <paramref name="now"/> and before <paramref name="until"/>.</summary>
    public async Task<Dictionary<string, IReadOnlyList<DateTimeOffset>>> PlannedMeetingsAsync(IReadOnlyCollection<string> codes, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        var rows = await PlannedMeetings(db, codes.ToArray(), now, until).ToListAsync(cancellationToken);
        return ByCollege(rows.Where(m => m.StartsAt > now && m.StartsAt < until).Select(m => (m.MunicipalityCode, m.StartsAt)));
    }

    /// <summary>
    /// The process as <paramref name="actor"/> sees it: the one place the embargo is applied (before publication a
    /// secretary or college sees the decisions of its own municipality only), with what the actor may do now and the
    /// status lights (<see cref="ProcessStatusRules"/>) — of its own college only under the embargo.
    /// </summary>
    /// <param name="planned">Per college, its planned meetings from now until the deadline (<see cref="PlannedMeetingsAsync"/>).</param>
    public ProcessDto View(DecisionProcess p, uint version, Actor actor, IReadOnlyDictionary<string, IReadOnlyList<DateTimeOffset>> planned, DateTimeOffset now)
    {
        var definition = workflow.DefinitionOf(p);
        var published = definition.IsEmbargoLifted(p.State);
        var underEmbargo = Embargo.Applies(published, actor);
        var status = ProcessStatusRules.Of(definition, p, planned, now);
        var items = p.Items.OrderBy(i => i.MunicipalityCode).Select(i =>
        {
            // Embargo: before publication a secretary or college sees the decisions of its own municipality only.
            var embargoed = underEmbargo && !actor.ActsFor(i.MunicipalityCode);
            var latest = i.LatestDecision;
            var college = status.Of(i.MunicipalityCode);
            return new ItemDto(i.MunicipalityCode, embargoed ? Embargo.ItemState(definition, i.MeetingId is not null) : i.State, i.MeetingId is { } meetingId ? new MeetingRef(meetingId, i.MeetingStartsAt!.Value) : null, embargoed,
                embargoed || latest is null ? null : new DecisionDto(latest.Sequence, latest.ConceptVersion, latest.Outcome, latest.Text, latest.DecidedOn, latest.Reason, latest.RecordedAt),
                embargoed || latest is null ? null : p.IsIdentical(i),
                embargoed ? null : p.DiffOf(i),
                ProcessRisks.HasNoMeetingLeft(definition, p, i, planned.ContainsKey(i.MunicipalityCode), now),
                embargoed ? 0 : i.Decisions.Count,
                workflow.PermittedCommands(p, i.MunicipalityCode, actor, now),
                embargoed ? null : new CollegeStatusDto(college.Light, college.Reasons),
                i.CouncilInformedOn is { } informedOn ? new CouncilDto(informedOn, i.CouncilLink) : null);
        }).ToList();
        var overseer = actor.Role is Role.Coordinator or Role.Auditor or Role.Admin;
        var proposed = definition.Process.IsFinal(p.State) ? null
            : ProcessStatusRules.ProposeTargetWeek(p.Items.Select(i => i.MunicipalityCode).ToList(), planned.SelectMany(kv => kv.Value.Select(at => (kv.Key, at))), now, p.DeadlineAt);
        return new ProcessDto(p.Id, p.Title, p.Reference, p.RegionCode, Pinned(p.DefinitionId, p.DefinitionVersion),
            underEmbargo ? definition.EmbargoedProcessState(p.State) : p.State, p.DeadlineAt,
            p.DeadlineDate, p.SynchronizationWindowStart, DaysLeft(p, now), p.PublicationAt, p.CurrentConcept.Number,
            p.Concepts.OrderBy(c => c.Number).Select(c => new ConceptDto(c.Number, c.Text, c.DocumentUrl, c.Note, c.CreatedAt,
                underEmbargo ? null : c.CouncilLetter, c.CouncilLetter is { } letter ? CouncilLetter.BodyHash(letter) : null)).ToList(),
            items, workflow.PermittedCommands(p, null, actor, now), version,
            new ProcessStatusDto(underEmbargo ? null : status.Light, overseer ? status.Next : null, status.TargetWeek?.Start, proposed?.Start, status.SpreadDays));
    }
}

/// <summary>Who reads which processes: the one filter the API, the pages and the calendar feeds all apply.</summary>
public static class ProcessVisibility
{
    /// <summary>Coordinators of the region, auditors and administrators read every process; secretaries and colleges those their municipality takes part in.</summary>
    public static IQueryable<DecisionProcess> Readable(this IQueryable<DecisionProcess> processes, Actor actor, string? region) => ScopeOf(actor, region) switch
    {
        { Region: { } code } => processes.Where(p => p.RegionCode == code),
        { Municipality: { } code } => processes.Where(p => p.Items.Any(i => i.MunicipalityCode == code)),
        _ => processes,
    };

    /// <summary>
    /// The rule: a coordinator with a region reads that region's processes; a secretary or college the processes its
    /// municipality takes part in (an account without one: none, "" matches no item); the others every process (both null).
    /// </summary>
    public static ReadScope ScopeOf(Actor actor, string? region) => actor.Role switch
    {
        Role.Auditor or Role.Admin => new(null, null),
        Role.Coordinator => new(region, null),
        _ => new(null, actor.MunicipalityCode ?? ""),
    };
}

/// <summary>Which processes a reader sees: those of <see cref="Region"/>, those <see cref="Municipality"/> takes part in, or (both null) all.</summary>
public readonly record struct ReadScope(string? Region, string? Municipality);

/// <summary>
/// The embargo rule, in one place. Until the process reaches a state in which the embargo is lifted (publication), a
/// secretary or college sees of the other municipalities only the agenda: whether their item is on a meeting and
/// which one. Not their decision, outcome, text, reason or count, not "aangehouden" or "besloten", and not a process
/// state that tells whether the colleges decided identically (it reads as the initial state). Their own
/// municipality's item they see whole. Coordinators, auditors and administrators see everything.
/// </summary>
public static class Embargo
{
    public static bool Applies(bool lifted, Actor actor) => !lifted && actor.Role.IsMunicipal();

    /// <summary>Another municipality's item under the embargo: on a meeting (scheduled, or decided on it) or not (yet, or again).</summary>
    public static string ItemState(Drechtsteden.Decisions.Workflows.WorkflowDefinition definition, bool onAMeeting) =>
        onAMeeting && definition.Commands.TryGetValue(Drechtsteden.Decisions.Workflows.WorkflowCommands.Schedule, out var schedule)
            && definition.Item.Transitions.FirstOrDefault(t => t.Trigger == schedule && t.To is not null)?.To is { } scheduled
            ? scheduled
            : definition.Item.InitialState;
}
