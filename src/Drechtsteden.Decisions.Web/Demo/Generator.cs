using System.Diagnostics;
using System.Text.Json.Nodes;
using Bogus;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Demo;

public sealed record GeneratorOptions(int Municipalities = 342, int Regions = 40, int Processes = 10_000, int Seed = 1, int Workers = 4);

public sealed record GeneratorResult(int Regions, int Municipalities, int Meetings, int Processes, long Commands, long AuditEntries, TimeSpan Elapsed);

/// <summary>
/// National-scale data for load tests and benchmarks: regions of municipalities (Dutch place names from Bogus, CBS-like
/// codes GM2000…), their users and weekly meeting calendars, and processes with full histories — scheduled, deferred,
/// amended, revised, decided again, published, some still running — written through the same commands (process
/// service, workflow, audit chains, timers) at the instants they happened. Deterministic by seed: process i draws from
/// its own random stream, whatever worker writes it.
/// </summary>
public sealed class Generator(IServiceProvider services, TimeProvider realClock)
{
    private long _commands;
    private long _refused;
    private int _processes;

    public async Task<GeneratorResult> RunAsync(GeneratorOptions options, TextWriter progress, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var now = realClock.GetUtcNow();
        var auditBefore = await CountAuditAsync(cancellationToken);
        var (regions, municipalities, meetings) = await ReferenceAsync(options, now, cancellationToken);
        await progress.WriteLineAsync($"Reference data: {regions.Count} regions, {municipalities.Count} municipalities, {meetings} meetings ({stopwatch.Elapsed.TotalSeconds:0.0} s).");

        using var ticker = new CancellationTokenSource();
        var report = Task.Run(async () =>
        {
            var last = (Time: stopwatch.Elapsed, Commands: 0L);
            while (!ticker.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(2), ticker.Token); } catch (OperationCanceledException) { break; }
                var commands = Interlocked.Read(ref _commands);
                var rate = (commands - last.Commands) / (stopwatch.Elapsed - last.Time).TotalSeconds;
                last = (stopwatch.Elapsed, commands);
                await progress.WriteLineAsync($"  {Volatile.Read(ref _processes),7:N0} / {options.Processes:N0} processes, {commands,9:N0} commands, {rate,6:N0} commands/s");
            }
        }, CancellationToken.None);

        var next = -1;
        var workers = Enumerable.Range(0, Math.Max(1, options.Workers)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Processes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    await ProcessAsync(options.Seed, i, regions, municipalities, now, cancellationToken);
                }
                catch (DomainException e)
                {
                    // A rule said no to a step of the made-up history: that process stops there, the rest goes on.
                    Interlocked.Increment(ref _refused);
                    if (Interlocked.Read(ref _refused) <= 5)
                        await progress.WriteLineAsync($"  process {i}: {e.Code}: {e.Message}");
                }
                Interlocked.Increment(ref _processes);
            }
        }, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            await ticker.CancelAsync();
            await report;
        }
        var audit = await CountAuditAsync(cancellationToken) - auditBefore;
        var result = new GeneratorResult(regions.Count, municipalities.Count, meetings, options.Processes, _commands, audit, stopwatch.Elapsed);
        await progress.WriteLineAsync($"Done: {result.Processes:N0} processes, {result.Commands:N0} commands, {result.AuditEntries:N0} audit entries in {result.Elapsed.TotalSeconds:0.0} s " +
            $"({result.Commands / result.Elapsed.TotalSeconds:N0} commands/s); {_refused} histories cut short by a refusal.");
        return result;
    }

    private async Task<long> CountAuditAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().AuditEntries.LongCountAsync(cancellationToken);
    }

    private sealed record GeneratedRegion(string Code, string[] Members, Actor Coordinator, Actor Archivist);

    private sealed record GeneratedMunicipality(string Code, string Name, DayOfWeek Day, Actor Secretary, Actor College);

    /// <summary>Regions, municipalities, accounts and two years of weekly calendars (back one year, ahead one); added once per seed.</summary>
    private async Task<(List<GeneratedRegion>, Dictionary<string, GeneratedMunicipality>, int)> ReferenceAsync(GeneratorOptions options, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var faker = new Faker("nl") { Random = new Randomizer(options.Seed) };
        var municipalities = new Dictionary<string, GeneratedMunicipality>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Municipalities; i++)
        {
            var code = $"GM{2000 + i:0000}";
            var name = faker.Address.City();
            while (!names.Add(name))
                name = $"{faker.Address.City()} {faker.Random.Int(2, 99)}";
            // Most colleges meet on Tuesday (PRODUCT.md); some on Monday, Wednesday or Thursday.
            var day = faker.Random.WeightedRandom([DayOfWeek.Tuesday, DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Thursday], [0.7f, 0.1f, 0.1f, 0.1f]);
            municipalities[code] = new GeneratedMunicipality(code, name, day,
                new Actor($"gen-secretary-{code}", $"Secretaris {name}", Role.Secretary, code), new Actor($"gen-college-{code}", $"College {name}", Role.College, code));
        }
        var codes = municipalities.Keys.ToList();
        var regions = new List<GeneratedRegion>();
        for (var r = 0; r < options.Regions; r++)
        {
            var members = codes.Where((_, index) => index % options.Regions == r).ToArray();
            var code = $"gen-{options.Seed}-{r + 1:000}";
            regions.Add(new GeneratedRegion(code, members, new Actor($"gen-coordinator-{code}", $"Coördinator regio {r + 1}", Role.Coordinator),
                new Actor($"gen-archivist-{code}", $"Archivaris regio {r + 1}", Role.Auditor)));
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        if (await db.Regions.AnyAsync(x => x.Code == regions[0].Code, cancellationToken))
            return (regions, municipalities, await db.Meetings.CountAsync(m => codes.Contains(m.MunicipalityCode), cancellationToken));

        var today = Amsterdam.DateOf(now);
        var meetings = 0;
        await audit.InTransactionAsync(async () =>
        {
            foreach (var m in municipalities.Values)
            {
                db.Municipalities.Add(new Municipality(m.Code, m.Name, m.Day));
                db.Users.Add(new UserAccount(m.Secretary.UserId, m.Secretary.DisplayName, $"secretaris.{m.Code.ToLowerInvariant()}@generated.invalid", Role.Secretary, m.Code));
                db.Users.Add(new UserAccount(m.College.UserId, m.College.DisplayName, $"college.{m.Code.ToLowerInvariant()}@generated.invalid", Role.College, m.Code));
                // Each office has a second person in the role (a deputy secretary, a policy adviser; a region has a coordinator
                // and a programme secretary): messages reach both.
                db.Users.Add(new UserAccount($"gen-deputy-secretary-{m.Code}", $"Loco-secretaris {m.Name}", $"loco.{m.Code.ToLowerInvariant()}@generated.invalid", Role.Secretary, m.Code));
                db.Users.Add(new UserAccount($"gen-adviser-{m.Code}", $"Bestuursadviseur {m.Name}", $"adviseur.{m.Code.ToLowerInvariant()}@generated.invalid", Role.College, m.Code));
                var calendar = MeetingCalendar.Weekly(m.Day, new TimeOnly(10, 0), today.AddYears(-1), today.AddYears(1))
                    .Select(at => new Meeting(Guid.CreateVersion7(), m.Code, at)).ToList();
                db.Meetings.AddRange(calendar);
                meetings += calendar.Count;
                await audit.AppendAsync(m.Secretary, new AuditRecord(AuditEntry.SystemChain, "meeting.added", "meeting", m.Code, $"Vergaderkalender {m.Name}",
                    MunicipalityCode: m.Code, After: new JsonObject { ["meetings"] = calendar.Count, ["weekday"] = m.Day.ToString(), ["seed"] = options.Seed },
                    Reason: "generated data", Status: 201), cancellationToken);
            }
            foreach (var region in regions)
            {
                db.Regions.Add(new Region(region.Code, $"Gegenereerde regio {region.Code}", region.Members));
                db.Users.Add(new UserAccount(region.Coordinator.UserId, region.Coordinator.DisplayName, $"{region.Code}@generated.invalid", Role.Coordinator, regionCode: region.Code));
                db.Users.Add(new UserAccount($"gen-programme-secretary-{region.Code}", $"Programmasecretaris regio {region.Code}", $"programma.{region.Code}@generated.invalid",
                    Role.Coordinator, regionCode: region.Code));
                db.Users.Add(new UserAccount(region.Archivist.UserId, region.Archivist.DisplayName, $"archief.{region.Code}@generated.invalid", Role.Auditor, regionCode: region.Code));
                await audit.AppendAsync(Actor.SystemActor, new AuditRecord(AuditEntry.SystemChain, "region.added", "region", region.Code, region.Code,
                    After: new JsonObject { ["members"] = region.Members.Length, ["seed"] = options.Seed }, Reason: "generated data", Status: 201), cancellationToken);
            }
        }, cancellationToken);
        return (regions, municipalities, meetings);
    }

    /// <summary>A step of a round, run in the order of its instant (then of the college's place in the round).</summary>
    private sealed record Step(DateTimeOffset At, int Order, Func<Task> Run);

    /// <summary>
    /// One process's whole history, from its own random stream: secretaries schedule over the first weeks (the late
    /// ones get the schedule reminders), some move the item to a later meeting, colleges decide on the meeting day or
    /// some days later (the decision reminder goes out meanwhile) and sometimes defer, amend or reject; an amendment
    /// the coordinator adopts becomes a new concept version that everyone decides on again; when the deadline passes
    /// unsynchronized (escalation) the coordinator mostly extends it, revising the concept if a college diverged, and
    /// sometimes cancels; a synchronized process is published at once or at a planned instant; an archivist exports
    /// some trails. Every message of that past is delivered (and proved) minutes after it was queued.
    /// </summary>
    private async Task ProcessAsync(int seed, int index, List<GeneratedRegion> regions, Dictionary<string, GeneratedMunicipality> municipalities,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var faker = new Faker("nl") { Random = new Randomizer(unchecked(seed * 1_000_003 + index)) };
        var region = regions[index % regions.Count];
        var today = Amsterdam.DateOf(now);
        // Nine in ten processes are history (deadline passed), one in ten is running.
        var running = faker.Random.Bool(0.1f);
        var startDay = running ? today.AddDays(-faker.Random.Int(7, 30)) : today.AddDays(-faker.Random.Int(80, 330));
        var deadline = startDay.AddDays(faker.Random.Int(42, 77));
        var clock = new SettableClock(Amsterdam.At(startDay, new TimeOnly(9, 0)));
        // The mail's delays draw from a stream of their own: the history's draws do not depend on how often mail went out.
        var mail = new Randomizer(unchecked(seed * 1_000_003 + index) ^ 0x5EED);

        await using var scope = services.CreateAsyncScope();
        var at = new CommandsAt(scope.ServiceProvider, clock);
        var workflow = scope.ServiceProvider.GetRequiredService<DecisionWorkflow>();
        var id = Guid.Empty;

        // The mail went out seconds to minutes after it was queued; the dispatcher's proof goes on the chain then.
        async Task DeliverAsync()
        {
            if (await at.Db.Outbox.AsNoTracking().AnyAsync(m => m.ProcessId == id && m.Status == OutboxStatus.Pending, cancellationToken) is false)
                return;
            var sentAt = clock.Now.AddSeconds(mail.Int(2, 90));
            if (sentAt > now)
                return; // today's messages are the running app's to send
            await Run(() => at.DeliverAsync(id, sentAt, cancellationToken));
        }

        // Time moves on, never back: every timer of the process that falls due before the next step fires first, at
        // its own instant, through the same timer command the Hangfire job runs (reminders, escalations, the deadline,
        // a planned publication), the sweeper's risk check runs, and the messages are delivered.
        async Task MoveToAsync(DateTimeOffset instant)
        {
            while (id != Guid.Empty)
            {
                // What the sweeper checks every minute: a college with nothing scheduled and no meeting left is a risk.
                await at.Jobs.AlertRisksAsync(clock.Now, id);
                await DeliverAsync();
                var due = await at.Db.Timers.AsNoTracking()
                    .Where(t => t.ProcessId == id && t.Status == TimerStatus.Scheduled && t.DueAt <= instant)
                    .OrderBy(t => t.DueAt).ThenBy(t => t.MunicipalityCode).ThenBy(t => t.InstanceKey)
                    .Select(t => new { t.Id, t.DueAt }).FirstOrDefaultAsync(cancellationToken);
                if (due is null)
                    break;
                clock.Now = due.DueAt > clock.Now ? due.DueAt : clock.Now;
                await Run(() => at.Pipeline.FireTimerAsync(due.Id, due.DueAt, "generator", cancellationToken));
            }
            clock.Now = instant > clock.Now ? instant : clock.Now;
        }

        var concept = $"Het college besluit in te stemmen met {faker.Lorem.Sentence(8).TrimEnd('.').ToLowerInvariant()} en {faker.Lorem.Sentence(6).TrimEnd('.').ToLowerInvariant()}.";
        var start = new StartProcess($"{faker.Commerce.Department()}: {faker.Company.CatchPhrase()}", $"{startDay.Year}-{index:0000000}", concept, null,
            deadline, null, null, region.Members, region.Code, null, null);
        id = (await Run(() => at.Pipeline.StartAsync(start, region.Coordinator, region.Code, CommandsAt.Key("start", start), cancellationToken))).ProcessId;

        var amended = new List<string>();
        var pending = region.Members.ToList();
        var round = 0;
        var version = 1;
        var text = concept;
        for (var extensions = 0; ; extensions++)
        {
            // Rounds until every college decided or there is nothing left to do before the deadline.
            while (pending.Count > 0 && round < 3 * (extensions + 1))
            {
                round++;
                var roundStart = Amsterdam.DateOf(clock.Now);
                var deadlineAt = Amsterdam.StartOfDay(deadline.AddDays(1));
                var steps = new List<Step>();
                var next = new List<string>();
                for (var n = 0; n < pending.Count; n++)
                {
                    var code = pending[n];
                    var m = municipalities[code];
                    var scheduleAt = Amsterdam.At(roundStart.AddDays(faker.Random.WeightedRandom([1, 2, 4, 8, 13], [0.35f, 0.25f, 0.2f, 0.12f, 0.08f])),
                        new TimeOnly(faker.Random.Int(8, 16), faker.Random.Int(0, 59)));
                    var earliest = Amsterdam.DateOf(scheduleAt).AddDays(faker.Random.Int(2, 14));
                    var holdBack = faker.Random.Bool(0.3f);
                    var move = faker.Random.Bool(0.12f);
                    var delay = faker.Random.WeightedRandom([0, 1, 2, 6], [0.5f, 0.2f, 0.15f, 0.15f]);
                    var roll = faker.Random.Double();
                    var words = faker.Lorem.Sentence(5).ToLowerInvariant();
                    var reason = faker.Lorem.Sentence();
                    var meetings = await at.Db.Meetings.AsNoTracking()
                        .Where(x => x.MunicipalityCode == code && x.Status == MeetingStatus.Planned && x.StartsAt >= Amsterdam.StartOfDay(earliest) && x.StartsAt < deadlineAt)
                        .OrderBy(x => x.StartsAt).Take(2).ToListAsync(cancellationToken);
                    if (meetings.Count == 0 || scheduleAt > now || (running && meetings[0].StartsAt > now && holdBack))
                        continue; // not scheduled (yet)
                    var r = round;
                    steps.Add(new Step(scheduleAt, n, () => Run(() => at.RunAsync(id, new ScheduleItem(meetings[0].Id) { Municipality = code }, m.Secretary,
                        CommandsAt.Key("schedule", new { id, code, r }), cancellationToken))));
                    var meeting = meetings[0];
                    // The agenda is full or the portfolio holder is away: the item moves to the next meeting.
                    var moveAt = Amsterdam.At(Amsterdam.DateOf(meeting.StartsAt).AddDays(-4), new TimeOnly(11, 0));
                    if (move && meetings.Count == 2 && moveAt > scheduleAt && moveAt <= now)
                    {
                        var later = meetings[1];
                        steps.Add(new Step(moveAt, n, () => Run(() => at.RunAsync(id, new ScheduleItem(later.Id) { Municipality = code }, m.Secretary,
                            CommandsAt.Key("reschedule", new { id, code, r }), cancellationToken))));
                        meeting = later;
                    }
                    // The decision is recorded on the meeting day or, once the decision list is settled, some days later
                    // (the college's decision reminder goes out the day after the meeting meanwhile).
                    var meetingDay = Amsterdam.DateOf(meeting.StartsAt);
                    var decisionAt = Amsterdam.At(meetingDay.AddDays(delay), new TimeOnly(14, 0));
                    if (decisionAt > now)
                        continue; // the meeting or its decision list is still to come
                    var request = roll switch
                    {
                        < 0.08 => new RecordDecision(DecisionOutcome.Deferred, version, meetingDay, null, reason),
                        < 0.16 => new RecordDecision(DecisionOutcome.AdoptedWithAmendments, version, meetingDay, text.TrimEnd('.') + ", " + words, null),
                        < 0.18 => new RecordDecision(DecisionOutcome.Rejected, version, meetingDay, null, reason),
                        _ => new RecordDecision(DecisionOutcome.Adopted, version, meetingDay, null, null),
                    };
                    steps.Add(new Step(decisionAt, n, async () =>
                    {
                        await Run(() => at.RunAsync(id, request with { Municipality = code }, m.College, CommandsAt.Key("decision", new { id, code, r }), cancellationToken));
                        if (request.Outcome == DecisionOutcome.AdoptedWithAmendments)
                            amended.Add(request.Text!);
                        if (request.Outcome is DecisionOutcome.Deferred)
                            next.Add(code);
                    }));
                }
                foreach (var step in steps.OrderBy(s => s.At).ThenBy(s => s.Order))
                {
                    await MoveToAsync(step.At);
                    await step.Run();
                }
                // A divergence: the coordinator adopts the amendment as the new concept, and everyone decides again.
                if (amended.Count > 0 && version < 3 + extensions && clock.Now < Amsterdam.StartOfDay(deadline.AddDays(-14)) && clock.Now < now)
                {
                    await MoveToAsync(clock.Now.AddHours(2));
                    text = amended[^1];
                    amended.Clear();
                    version++;
                    await Run(() => at.RunAsync(id, new ReviseConcept(text, null, "Wijziging overgenomen"), region.Coordinator,
                        CommandsAt.Key("revise", new { id, version }), cancellationToken));
                    next = [.. region.Members];
                }
                pending = next;
            }

            var process = await at.Db.ProcessAggregates.AsNoTracking().FirstAsync(p => p.Id == id, cancellationToken);
            if (workflow.PermittedCommands(process, null, region.Coordinator, clock.Now).Contains(WorkflowCommands.Publish))
            {
                await MoveToAsync(clock.Now.AddDays(1) < now ? clock.Now.AddDays(1) : clock.Now);
                // Published at once, or at a planned instant (the councils' information letters go out together).
                var planned = Amsterdam.At(Amsterdam.DateOf(clock.Now).AddDays(faker.Random.Int(2, 9)), new TimeOnly(9, 0));
                var publishAt = faker.Random.Bool(0.35f) && planned <= now ? planned : (DateTimeOffset?)null;
                await Run(() => at.RunAsync(id, new Publish(publishAt), region.Coordinator, CommandsAt.Key("publish", id), cancellationToken));
                if (publishAt is { } release && faker.Random.Bool(0.15f))
                {
                    // The archivist exports the closed trail for the record.
                    await MoveToAsync(release.AddDays(faker.Random.Int(1, 20)) is var exportAt && exportAt < now ? exportAt : now);
                    await Run(() => at.Export.ToJsonAsync(id, region.Archivist, cancellationToken));
                }
                break;
            }
            // The deadline passes unsynchronized: the escalation goes to the coordinator, who extends the deadline some
            // days later (revising the concept when a college diverged) or, rarely, cancels the process.
            var escalated = Amsterdam.StartOfDay(deadline.AddDays(1)).AddDays(faker.Random.Int(1, 4)).AddHours(faker.Random.Int(9, 15) - 1);
            var cancel = faker.Random.Bool(0.08f);
            var weeks = faker.Random.Int(3, 8);
            var compromise = $"{text.TrimEnd('.')}, {faker.Lorem.Sentence(4).TrimEnd('.').ToLowerInvariant()}.";
            if (escalated > now || extensions >= 2 || workflow.DefinitionOf(process).Process.IsFinal(process.State))
                break;
            await MoveToAsync(escalated);
            if (cancel)
            {
                await Run(() => at.RunAsync(id, new CancelProcess("Niet alle colleges konden tijdig besluiten; het voorstel wordt heroverwogen."),
                    region.Coordinator, CommandsAt.Key("cancel", id), cancellationToken));
                break;
            }
            deadline = Amsterdam.DateOf(clock.Now).AddDays(7 * weeks);
            await Run(() => at.RunAsync(id, new ExtendDeadline(deadline, null, "Niet alle colleges hebben tijdig gelijkluidend besloten."),
                region.Coordinator, CommandsAt.Key("extend", new { id, extensions }), cancellationToken));
            process = await at.Db.ProcessAggregates.AsNoTracking().FirstAsync(p => p.Id == id, cancellationToken);
            if (process.Items.Any(process.IsDiverged))
            {
                // A college rejected or amended: a compromise text, on which everyone decides again.
                text = amended.Count > 0 ? amended[^1] : compromise;
                amended.Clear();
                version++;
                await MoveToAsync(clock.Now.AddHours(3));
                await Run(() => at.RunAsync(id, new ReviseConcept(text, null, "Compromistekst na escalatie"), region.Coordinator,
                    CommandsAt.Key("revise", new { id, version }), cancellationToken));
                pending = [.. region.Members];
            }
            else
            {
                // In a fixed order (the aggregate's items come from the database in any order): the seed decides the history.
                var schedulable = ProcessRisks.SchedulableStates(workflow.DefinitionOf(process));
                pending = [.. process.Items.Where(i => i.MeetingId is null && schedulable.Contains(i.State)).Select(i => i.MunicipalityCode).Order(StringComparer.Ordinal)];
            }
        }

        // Up to today: what fell due in the meantime has fired (a deadline passed without synchronization, reminders of
        // a running process, a planned publication) and its messages were delivered then.
        await MoveToAsync(clock.Now > now ? clock.Now : now);
    }

    private async Task<T> Run<T>(Func<Task<T>> command)
    {
        try
        {
            return await command();
        }
        finally
        {
            Interlocked.Increment(ref _commands);
        }
    }
}
