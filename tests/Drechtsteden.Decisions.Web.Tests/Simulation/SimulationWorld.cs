using System.Globalization;
using System.Text;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Demo;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Drechtsteden.Decisions.Web.Tests.Simulation.ReferenceModel;

namespace Drechtsteden.Decisions.Web.Tests.Simulation;

/// <summary>
/// The host's own services — the command pipeline, the calendar commands, the timer jobs, the reads the API serves —
/// on a real PostgreSQL and a fake clock, for one worker of the simulation. Each history gets three colleges of its
/// own (fresh CBS-like codes) in a region of its own, so histories on one database never see each other's calendars.
/// </summary>
internal sealed class SimulationWorld : IAsyncDisposable
{
    private const int CollegesPerHistory = 3;
    private const int HistoriesPerDatabase = 2900; // GM1000…GM9699: three fresh codes a history
    private static readonly SemaphoreSlim DatabaseGate = new(1, 1);
    private static readonly Dictionary<int, string> Databases = [];
    private static int s_histories = -1;

    private readonly ServiceProvider _services;
    private readonly NpgsqlDataSource _sql;

    private SimulationWorld(int generation, ServiceProvider services, NpgsqlDataSource sql, SettableClock clock)
    {
        Generation = generation;
        _services = services;
        _sql = sql;
        Clock = clock;
    }

    public int Generation { get; }

    /// <summary>A clock that goes where it is told, back too: every history starts at its own instant.</summary>
    public SettableClock Clock { get; }

    /// <summary>A history's number (for its colleges' codes, counted from 1 in failures) and the database generation it belongs to.</summary>
    public static (int Number, int Generation, int Slot) NextHistory()
    {
        var n = Interlocked.Increment(ref s_histories);
        return (n + 1, n / HistoriesPerDatabase, n % HistoriesPerDatabase);
    }

    public static async Task<SimulationWorld> CreateAsync(int generation)
    {
        string connectionString;
        await DatabaseGate.WaitAsync();
        try
        {
            if (!Databases.TryGetValue(generation, out connectionString!))
            {
                // Statements prepared per connection, as the app's own connection string has them (DatabaseOptions.MaxAutoPrepare).
                var app = new NpgsqlConnectionStringBuilder((await TestPostgres.CreateDatabaseAsync()).App) { MaxAutoPrepare = 64 };
                Databases[generation] = connectionString = app.ConnectionString;
            }
        }
        finally
        {
            DatabaseGate.Release();
        }
        var clock = new SettableClock(new DateTimeOffset(2027, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var services = HostServices.Build(connectionString, clock);
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<WorkflowCatalog>().LoadAsync(scope.ServiceProvider.GetRequiredService<DecisionsDbContext>(),
                scope.ServiceProvider.GetRequiredService<AuditTrail>(), clock);
        }
        return new SimulationWorld(generation, services, NpgsqlDataSource.Create(connectionString), clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _sql.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>Runs one history against the app and the reference model, checking every invariant after every step.</summary>
    public async Task RunAsync(History history, int number, int slot)
    {
        var codes = Enumerable.Range(0, CollegesPerHistory).Select(i => $"GM{1000 + slot * CollegesPerHistory + i:0000}").ToArray();
        var region = $"sim-{slot}";
        await SeedAsync(region, codes);
        Clock.Now = history.Start;
        var run = new HistoryRun(this, history, number, region, codes);
        await run.RunAsync();
    }

    /// <summary>A region of its own with these colleges, their secretaries and colleges, and a coordinator.</summary>
    public async Task SeedAsync(string region, string[] codes)
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        db.Municipalities.AddRange(codes.Select(c => new Municipality(c, $"Gemeente {c}")));
        db.Regions.Add(new Region(region, $"Simulatie {region}", codes));
        db.Users.Add(new UserAccount($"coordinator-{region}", "Coördinator", $"regie.{region}@example.org", Role.Coordinator, regionCode: region));
        foreach (var code in codes)
        {
            db.Users.Add(new UserAccount($"secretary-{code}", $"Secretaris {code}", $"secretaris.{code}@example.org", Role.Secretary, code));
            db.Users.Add(new UserAccount($"college-{code}", $"College {code}", $"college.{code}@example.org", Role.College, code));
            db.Users.Add(new UserAccount($"griffier-{code}", $"Griffier {code}", $"griffie.{code}@example.org", Role.Griffier, code));
        }
        await db.SaveChangesAsync();
    }

    public async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = _services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    /// <summary>Several statements in one round trip; the rows of each.</summary>
    public async Task<List<List<object?[]>>> BatchAsync(params (string Sql, object[] Parameters)[] statements)
    {
        await using var batch = _sql.CreateBatch();
        foreach (var (sql, parameters) in statements)
        {
            var command = new NpgsqlBatchCommand(sql);
            Rows.Bind(command.Parameters, parameters);
            batch.BatchCommands.Add(command);
        }
        await using var reader = await batch.ExecuteReaderAsync();
        var results = new List<List<object?[]>>();
        do
            results.Add(await Rows.ReadAsync(reader));
        while (await reader.NextResultAsync());
        return results;
    }

    public async Task<List<object?[]>> QueryAsync(string sql, params object[] parameters)
    {
        await using var command = _sql.CreateCommand(sql);
        Rows.Bind(command.Parameters, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        return await Rows.ReadAsync(reader);
    }
}

/// <summary>One history: the steps, the model beside the app, and the invariants after each step.</summary>
internal sealed class HistoryRun(SimulationWorld world, History history, int number, string region, string[] codes)
{
    private readonly ReferenceModel _model = new(history.Start, codes);
    private readonly StringBuilder _log = new();
    private readonly Actor _coordinator = new($"coordinator-{region}", "Coördinator", Role.Coordinator);
    private string? _fingerprint;
    private int _concepts;

    private DateTimeOffset Now => world.Clock.GetUtcNow();

    private static Actor Secretary(string code) => new($"secretary-{code}", $"Secretaris {code}", Role.Secretary, code);

    private static Actor College(string code) => new($"college-{code}", $"College {code}", Role.College, code);

    private static Actor Griffier(string code) => new($"griffier-{code}", $"Griffier {code}", Role.Griffier, code);

    public async Task RunAsync()
    {
        _log.AppendLine(CultureInfo.InvariantCulture, $"colleges {string.Join(", ", codes)}; clock {Now:yyyy-MM-dd HH:mm}Z");
        for (var i = 0; i < history.Steps.Count; i++)
        {
            var step = history.Steps[i];
            _log.Append(CultureInfo.InvariantCulture, $"{i + 1,3}. {step.Describe()}");
            try
            {
                await StepAsync(step);
                await CheckAsync();
            }
            catch (Exception e) when (e is not SimulationFailure)
            {
                throw new SimulationFailure($"History #{number}, step {i + 1} failed: {e.Message}\n{_log}", e);
            }
        }
        await VerifyTrailsAsync();
    }

    private void Fail(string what) => throw new SimulationFailure($"History #{number}: {what}\nHistory as it ran (clock {Now:yyyy-MM-dd HH:mm:ss}Z):\n{_log}");

    private async Task StepAsync(Step step)
    {
        if (step is AdvanceStep advance)
        {
            await AdvanceAsync(Now.AddMinutes(advance.Minutes));
            _log.AppendLine(CultureInfo.InvariantCulture, $" → {Now:yyyy-MM-dd HH:mm}Z");
            return;
        }
        var before = _fingerprint ?? await FingerprintAsync();
        var (expected, actual) = await CommandAsync(step);
        _log.AppendLine(actual is null ? " → accepted" : $" → refused ({actual.Code})");
        Interlocked.Increment(ref actual is null ? ref Figures.Accepted : ref Figures.Refused);
        if (expected != (actual is null))
            Fail($"The model {(expected ? "accepts" : "refuses")} this step, the app {(actual is null ? "accepted it" : $"refused it: {actual.Code}: {actual.Message}")}.");
        if (actual is not null && await FingerprintAsync() != before)
            Fail("A refused command changed something (state, audit entries, timers, messages or meetings).");
    }

    /// <summary>Runs a step on the model and on the app; the model's verdict, and the app's refusal (null when it accepted).</summary>
    private async Task<(bool Expected, DomainException? Refusal)> CommandAsync(Step step)
    {
        switch (step)
        {
            case StartStep s:
            {
                var participants = codes.Where((_, i) => (s.Participants & (1 << i)) != 0).ToArray();
                var (date, instant) = DeadlineOf(s);
                var concept = $"Het college stelt regionale aanpak {++_concepts} vast.";
                var command = new StartProcess($"Proces {_concepts}", $"SIM-{region}-{_concepts}", concept, null, date, date is null ? instant : null, Participants: participants);
                if (instant <= Now)
                    return (false, await RefusalAsync(sp => sp.GetRequiredService<CommandPipeline>().StartAsync(command, _coordinator, region, Key())));
                var refusal = await RefusalAsync(async sp =>
                {
                    var answer = await sp.GetRequiredService<CommandPipeline>().StartAsync(command, _coordinator, region, Key());
                    _model.Start(answer.ProcessId, instant, date, concept, participants);
                });
                return (refusal is null, refusal);
            }
            case AddMeetingStep s:
            {
                var code = codes[s.College % codes.Length];
                var actor = s.OtherSecretary ? Secretary(codes[(s.College + 1) % codes.Length]) : Secretary(code);
                var startsAt = Instants.ToMicroseconds(Amsterdam.At(Amsterdam.DateOf(Now).AddDays(s.Days), new TimeOnly(s.Hour, 0)));
                Guid? added = null;
                var refusal = await RefusalAsync(async sp => added = (await sp.GetRequiredService<MeetingCommands>().AddAsync(code, new MeetingChange(startsAt), actor)).Id);
                return (_model.AddMeeting(added ?? Guid.Empty, code, startsAt, !s.OtherSecretary), refusal);
            }
            case MoveMeetingStep s when _model.Meetings.Count > 0:
            {
                var meeting = _model.Meetings[s.Meeting % _model.Meetings.Count];
                var startsAt = Instants.ToMicroseconds(Amsterdam.At(Amsterdam.DateOf(meeting.StartsAt).AddDays(s.Days), new TimeOnly(s.Hour, 0)));
                var refusal = await RefusalAsync(sp => sp.GetRequiredService<MeetingCommands>().MoveAsync(meeting.Id, new MeetingChange(startsAt, "Verzet"), Secretary(meeting.College)));
                return (_model.MoveMeeting(meeting, startsAt, ownSecretary: true), refusal);
            }
            case CancelMeetingStep s when _model.Meetings.Count > 0:
            {
                var meeting = _model.Meetings[s.Meeting % _model.Meetings.Count];
                var refusal = await RefusalAsync(sp => sp.GetRequiredService<MeetingCommands>().CancelAsync(meeting.Id, new MeetingChange(null, "Vervalt"), Secretary(meeting.College)));
                return (_model.CancelMeeting(meeting, ownSecretary: true), refusal);
            }
            case ScheduleStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                var code = process.Items.Keys.ElementAt(s.College % process.Items.Count);
                var own = _model.Meetings.Where(m => m.College == code).ToList();
                var meeting = own.Count > 0 ? own[s.Meeting % own.Count] : null;
                var actor = s.Actor switch { 8 => Secretary(codes.First(c => c != code)), 9 => College(code), _ => Secretary(code) };
                var command = new ScheduleItem(meeting?.Id ?? Guid.CreateVersion7()) { Municipality = code };
                var refusal = await RunAsync(process.Id, command, actor);
                return (_model.Schedule(process, code, meeting, actor.Role, actor.MunicipalityCode), refusal);
            }
            case DecideStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                var code = process.Items.Keys.ElementAt(s.College % process.Items.Count);
                var version = s.OlderVersion ? 1 : process.Current;
                var concept = process.Concepts[version - 1];
                var text = s.Text switch
                {
                    0 => null,
                    1 => "  " + concept.Replace(" ", " \n\t", StringComparison.Ordinal) + "  ",
                    _ => concept + " Met een jaarlijkse evaluatie.",
                };
                var outcome = (DecisionOutcome)s.Outcome;
                var reason = s.NoReason ? " " : "Het college wil eerst de raadscommissie horen.";
                var actor = s.Actor == 9 ? College(codes.First(c => c != code)) : College(code);
                var command = new RecordDecision(outcome, version, null, text, outcome is DecisionOutcome.Deferred or DecisionOutcome.Rejected ? reason : null) { Municipality = code };
                var refusal = await RunAsync(process.Id, command, actor);
                return (_model.Decide(process, code, outcome, version, text, command.Reason, actor.Role, actor.MunicipalityCode), refusal);
            }
            case ReviseStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                var text = s.Blank ? "   " : $"Het college stelt regionale aanpak {process.Id.ToString()[..4]} vast, versie {process.Current + 1}.";
                var refusal = await RunAsync(process.Id, new ReviseConcept(text, null, "Herzien"), _coordinator);
                return (_model.Revise(process, text), refusal);
            }
            case ExtendStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                var date = Amsterdam.DateOf(Now).AddDays(s.Days);
                DateTimeOffset? at = s.AsInstant ? Instants.ToMicroseconds(Amsterdam.At(date, new TimeOnly(15, 0))) : null;
                var reason = s.NoReason ? "" : "Een college vergadert later.";
                var refusal = await RunAsync(process.Id, new ExtendDeadline(s.AsInstant ? null : date, at, reason), _coordinator);
                return (_model.Extend(process, at ?? EndOfDay(date), s.AsInstant ? null : date, reason), refusal);
            }
            case PublishStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                DateTimeOffset? at = s.Hours == 0 ? null : Instants.ToMicroseconds(Now.AddHours(s.Hours));
                var refusal = await RunAsync(process.Id, new Publish(at), _coordinator);
                return (_model.Publish(process, at), refusal);
            }
            case ConfirmCouncilStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                var code = process.Items.Keys.ElementAt(s.College % process.Items.Count);
                var actor = s.Actor switch { 8 => Griffier(codes.First(c => c != code)), 9 => Secretary(code), _ => Griffier(code) };
                DateOnly? on = s.DaysAgo == 99 ? null : Amsterdam.DateOf(Now).AddDays(-s.DaysAgo);
                var refusal = await RunAsync(process.Id, new ConfirmCouncil(on) { Municipality = code }, actor);
                return (_model.ConfirmCouncil(process, code, on, actor.Role, actor.MunicipalityCode), refusal);
            }
            case CancelStep s when _model.Processes.Count > 0:
            {
                var process = _model.Processes[s.Process % _model.Processes.Count];
                var reason = s.NoReason ? " " : "Het voorstel wordt ingetrokken.";
                var refusal = await RunAsync(process.Id, new CancelProcess(reason), _coordinator);
                return (_model.Cancel(process, reason), refusal);
            }
            default:
                return (false, DomainException.Conflict("nothing-to-do", "Nothing to act on yet."));
        }
    }

    private (DateOnly? Date, DateTimeOffset Instant) DeadlineOf(StartStep s)
    {
        var today = Amsterdam.DateOf(Now);
        var day = today.AddDays(s.Days);
        if (s.Kind >= 2)
        {
            DateOnly[] changes = [new(2027, 3, 28), new(2027, 10, 31), new(2028, 3, 26)];
            day = changes.First(d => d > today);
        }
        return s.Kind switch
        {
            0 or 2 => (day, EndOfDay(day)),
            1 => (null, Instants.ToMicroseconds(Amsterdam.At(day, new TimeOnly(s.Hour, 30)))),
            _ => (null, Instants.ToMicroseconds(Amsterdam.At(day, new TimeOnly(2, 30)))),
        };
    }

    private static CommandKey Key() => new(null, "simulation", Guid.NewGuid());

    private Task<DomainException?> RunAsync(Guid process, ProcessCommand command, Actor actor) =>
        RefusalAsync(sp => sp.GetRequiredService<CommandPipeline>().RunAsync(process, command, actor, Key()));

    private async Task<DomainException?> RefusalAsync(Func<IServiceProvider, Task> command)
    {
        try
        {
            await world.InScopeAsync(async sp => { await command(sp); return 0; });
            return null;
        }
        catch (DomainException e)
        {
            return e;
        }
    }

    /// <summary>Time moves on: every due timer of the history's processes fires at its own instant, as the jobs fire them.</summary>
    private async Task AdvanceAsync(DateTimeOffset until)
    {
        var ids = _model.Processes.Select(p => p.Id).ToArray();
        while (ids.Length > 0)
        {
            var due = await world.QueryAsync(
                "SELECT id, due_at FROM timers WHERE process_id = ANY($1) AND status = 'Scheduled' AND due_at <= $2 ORDER BY due_at, id LIMIT 1", ids, until);
            if (due.Count == 0)
                break;
            var at = new DateTimeOffset(DateTime.SpecifyKind((DateTime)due[0][1]!, DateTimeKind.Utc));
            if (at > Now)
                world.Clock.Now = at;
            var id = (long)due[0][0]!;
            Interlocked.Increment(ref Figures.Firings);
            if (!await world.InScopeAsync(sp => sp.GetRequiredService<CommandPipeline>().FireTimerAsync(id, null, "simulation")))
                Fail($"Timer {id} was due at {at:O} and did not fire.");
        }
        if (until > Now)
            world.Clock.Now = until;
        foreach (var id in ids)
            await world.InScopeAsync(async sp => { await sp.GetRequiredService<TimerJobs>().AlertRisksAsync(Now, id); return 0; });
        _model.AdvanceTo(until);
    }

    /// <summary>Everything a command could change about this history, in one value.</summary>
    private const string FingerprintSql = """
        SELECT md5(concat_ws('|',
          (SELECT string_agg(id::text || state || revision || coalesce(publication_at::text, '') || deadline_at::text, ',' ORDER BY id) FROM processes WHERE id = ANY($1)),
          (SELECT string_agg(id::text || state || coalesce(meeting_id::text, '') || coalesce(meeting_starts_at::text, '') || coalesce(council_informed_on::text, ''), ',' ORDER BY id) FROM agenda_items WHERE process_id = ANY($1)),
          (SELECT string_agg(id::text || status || due_at::text, ',' ORDER BY id) FROM timers WHERE process_id = ANY($1)),
          (SELECT count(*)::text FROM audit_entries WHERE chain_id = ANY($1)),
          (SELECT count(*)::text FROM outbox_messages WHERE process_id = ANY($1)),
          (SELECT count(*)::text FROM decisions d JOIN agenda_items a ON a.id = d.item_id WHERE a.process_id = ANY($1)),
          (SELECT count(*)::text FROM concept_versions WHERE process_id = ANY($1)),
          (SELECT count(*)::text FROM processes WHERE region_code = $3),
          (SELECT string_agg(id::text || status || starts_at::text, ',' ORDER BY id) FROM meetings WHERE municipality_code = ANY($2))))
        """;

    private object[] FingerprintParameters => [_model.Processes.Select(p => p.Id).ToArray(), codes, region];

    /// <summary>Everything a command could change about this history, in one value.</summary>
    private async Task<string> FingerprintAsync() => (string)(await world.QueryAsync(FingerprintSql, FingerprintParameters))[0][0]!;

    /// <summary>The invariants, after every step: states as the model says, timers as the state calls for, the trail, the embargo.</summary>
    private async Task CheckAsync()
    {
        _fingerprint = null;
        if (_model.Processes.Count == 0)
            return;
        var ids = _model.Processes.Select(p => p.Id).ToArray();
        await world.InScopeAsync(async sp =>
        {
            var queries = sp.GetRequiredService<ProcessQueries>();
            var processes = await sp.GetRequiredService<DecisionsDbContext>().ProcessAggregates.AsNoTracking().AsSingleQuery().Where(p => ids.Contains(p.Id)).ToListAsync();
            foreach (var expected in _model.Processes)
            {
                var actual = processes.Single(p => p.Id == expected.Id);
                CheckState(expected, actual);
                CheckEmbargo(queries, expected, actual);
            }
            return 0;
        });
        // The rest in one round trip: the scheduled timers, the firings, the chains, and the fingerprint the next step compares with.
        var results = await world.BatchAsync(
            ("SELECT process_id, instance_key, due_at FROM timers WHERE process_id = ANY($1) AND status = 'Scheduled'", [ids]),
            ("""
             SELECT count(*) FILTER (WHERE f.fired_at < t.due_at), count(*) - count(DISTINCT (t.process_id, t.instance_key, t.due_at))
             FROM timer_firings f JOIN timers t ON t.id = f.timer_id WHERE t.process_id = ANY($1)
             """, [ids]),
            ("""
             SELECT chain_id, count(*) FILTER (WHERE actor_role <> 'System' AND action NOT LIKE '%.state-changed'),
                    count(*) FILTER (WHERE chain_sequence <> position OR previous_hash <> previous)
             FROM (SELECT chain_id, chain_sequence, actor_role, action, previous_hash,
                          lag(hash, 1, repeat('0', 64)) OVER chain AS previous, row_number() OVER chain AS position
                   FROM audit_entries WHERE chain_id = ANY($1) WINDOW chain AS (PARTITION BY chain_id ORDER BY chain_sequence)) e
             GROUP BY chain_id
             """, [ids]),
            (FingerprintSql, FingerprintParameters));
        CheckTimers(results[0]);
        if ((long)results[1][0][0]! > 0)
            Fail("A timer fired before its instant.");
        if ((long)results[1][0][1]! > 0)
            Fail("A timer fired twice at one instant.");
        CheckTrail(results[2]);
        _fingerprint = (string)results[3][0][0]!;
    }

    private void CheckState(MProcess expected, DecisionProcess actual)
    {
        var what = $"process {expected.Id.ToString()[..8]}";
        if (actual.State != expected.State)
            Fail($"{what}: state {actual.State}, the model says {expected.State}.");
        if (actual.DeadlineAt != expected.Deadline)
            Fail($"{what}: deadline {actual.DeadlineAt:O}, the model says {expected.Deadline:O}.");
        if (actual.Concepts.Count != expected.Current)
            Fail($"{what}: {actual.Concepts.Count} concept versions, the model says {expected.Current}.");
        foreach (var (code, item) in expected.Items)
        {
            var real = actual.Item(code);
            if (real.CouncilInformedOn != item.CouncilInformedOn)
                Fail($"{what} {code}: council informed on {real.CouncilInformedOn}, the model says {item.CouncilInformedOn}.");
            if (real.State != item.State || real.MeetingId != item.Meeting?.Id || real.MeetingStartsAt != item.Meeting?.StartsAt)
                Fail($"{what} {code}: {real.State} on {real.MeetingId} at {real.MeetingStartsAt:O}, the model says {item.State} on {item.Meeting?.Id} at {item.Meeting?.StartsAt:O}.");
            if (real.LatestDecision is { } d && (item.Latest is null || d.Outcome != item.Latest.Outcome || d.ConceptVersion != item.Latest.Version || d.TextMatchesConcept != item.Latest.MatchesConcept))
                Fail($"{what} {code}: latest decision {d.Outcome} v{d.ConceptVersion} matches={d.TextMatchesConcept}, the model says {item.Latest}.");
        }
    }

    /// <summary>No secretary or college reads another municipality's decision before publication, through the reads the API serves.</summary>
    private void CheckEmbargo(ProcessQueries queries, MProcess expected, DecisionProcess actual)
    {
        if (expected.State is Published or CouncilsInformed)
            return;
        foreach (var code in expected.Items.Keys)
        {
            foreach (var reader in new[] { Secretary(code), College(code), Griffier(code) })
            {
                var view = queries.View(actual, 0, reader, new Dictionary<string, IReadOnlyList<DateTimeOffset>>(), Now);
                if (view.Status?.Light is not null || view.Status?.Next is not null)
                    Fail($"Embargo broken: {reader.UserId} reads the process's light or the coordinator's next step before publication ({expected.State}).");
                foreach (var other in view.Items.Where(i => i.Municipality != code))
                {
                    if (!other.Embargoed || other.Decision is not null || other.Identical is not null || other.Diff is not null || other.DecisionCount != 0 || other.Status is not null)
                        Fail($"Embargo broken: {reader.UserId} reads {other.Municipality}'s decision before publication ({expected.State}).");
                }
            }
        }
    }

    /// <summary>The scheduled timers are exactly those the state calls for at the instants ahead; none is left behind or doubled.</summary>
    private void CheckTimers(List<object?[]> rows)
    {
        var now = Now;
        var scheduled = rows.Select(r => (Process: (Guid)r[0]!, Key: (string)r[1]!, Due: new DateTimeOffset(DateTime.SpecifyKind((DateTime)r[2]!, DateTimeKind.Utc)))).ToList();
        var late = scheduled.FirstOrDefault(t => t.Due < now);
        if (late.Key is not null)
            Fail($"Timer {late.Key} of {late.Process.ToString()[..8]} is still scheduled at {late.Due:O}, which has passed.");
        var doubled = scheduled.GroupBy(t => (t.Process, t.Key)).FirstOrDefault(g => g.Count() > 1);
        if (doubled is not null)
            Fail($"Timer {doubled.Key.Key} is scheduled {doubled.Count()} times.");
        var expected = _model.Processes.SelectMany(p => ReferenceModel.Timers(p).Select(t => (Process: p.Id, t.Key, Due: Instants.ToMicroseconds(t.Due))))
            .Where(t => t.Due > now).ToHashSet();
        var actual = scheduled.Where(t => t.Due > now).ToHashSet();
        if (!actual.SetEquals(expected))
        {
            Fail("Scheduled timers differ from what the state calls for.\n  missing: " + string.Join("; ", expected.Except(actual).Select(t => $"{t.Key} {t.Due:O}")) +
                "\n  extra: " + string.Join("; ", actual.Except(expected).Select(t => $"{t.Key} {t.Due:O}")));
        }
    }

    /// <summary>
    /// Each process's chain holds one entry per accepted command and stays linked: sequences without gaps, each entry
    /// naming its predecessor's hash. At the end of the history every chain also goes through the verifier the API uses,
    /// which recomputes every hash.
    /// </summary>
    private void CheckTrail(List<object?[]> rows)
    {
        var chains = rows.ToDictionary(r => (Guid)r[0]!, r => (Commands: (long)r[1]!, Breaks: (long)r[2]!));
        foreach (var process in _model.Processes)
        {
            var (commands, breaks) = chains.GetValueOrDefault(process.Id);
            if (breaks > 0)
                Fail($"The trail of {process.Id.ToString()[..8]} is not linked: {breaks} entries out of sequence or naming another hash.");
            if (commands != process.Commands)
                Fail($"The trail of {process.Id.ToString()[..8]} holds {commands} command entries, the model counts {process.Commands} accepted commands.");
        }
    }

    /// <summary>
    /// At the end of the history: every chain, read whole from the database, passes the verifier, and every action on
    /// it has its Dutch name for the pages and the ZGW export (actieWeergave).
    /// </summary>
    private async Task VerifyTrailsAsync()
    {
        var ids = _model.Processes.Select(p => p.Id).ToArray();
        var actions = await world.BatchAsync(("SELECT DISTINCT action FROM audit_entries WHERE chain_id = ANY($1)", [ids]));
        foreach (var action in actions[0].Select(r => (string)r[0]!))
        {
            if (ActionNames.Dutch(action) == action)
                Fail($"The audit action '{action}' has no Dutch name (Audit/AuditExport.cs, ActionNames).");
        }
        // The log writer's round and the witness's cosignature, then every process's trail must be valid and anchored.
        await world.InScopeAsync(async sp => { await sp.GetRequiredService<TransparencyLog>().AppendAsync(); return await sp.GetRequiredService<TransparencyLog>().PushAsync(); });
        foreach (var process in _model.Processes)
        {
            var verification = await world.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyChainAsync(process.Id));
            if (!verification.Valid)
                Fail($"The trail of {process.Id.ToString()[..8]} does not verify: {verification.Summary} ({verification.EntriesChecked} entries).");
        }
    }
}

/// <summary>A history broke an invariant; the message holds the history as it ran.</summary>
/// <summary>What the histories did, for the figures.</summary>
internal static class Figures
{
    public static long Accepted, Refused, Firings;
}

/// <summary>A history broke an invariant; the message holds the history as it ran.</summary>
internal sealed class SimulationFailure(string message, Exception? inner = null) : Exception(message, inner);
