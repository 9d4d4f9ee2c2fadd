using CsCheck;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Drechtsteden.Decisions.Web.Tests.Simulation.ReferenceModel;

namespace Drechtsteden.Decisions.Web.Tests.Simulation;

/// <summary>
/// Several people act on one process at the same moment — secretaries scheduling and moving meetings, colleges deciding,
/// the coordinator revising, extending, publishing or cancelling — and the outcome must equal the outcome of some
/// serial order of the same commands on the reference model (CsCheck runs the commands side by side on threads, then
/// tries every order on the model).
/// </summary>
[NonParallelizable]
public sealed class ParallelHistoryTests
{
    private static readonly DateTimeOffset Start = new(2027, 9, 6, 8, 0, 0, TimeSpan.Zero); // a Monday

    private static SimulationWorld s_world = null!;
    private static int s_processes;

    /// <summary>The process on the app: made on first use, because CsCheck also generates initial states only to read their model.</summary>
    private sealed class Actual(int setup)
    {
        private readonly Lock _gate = new();
        private Guid _process;

        public int Setup { get; } = setup;

        private string[] _codes = [];
        private Guid[][] _meetings = [];

        public string[] Codes => Process == Guid.Empty ? [] : _codes;

        public Guid[][] Meetings => Process == Guid.Empty ? [] : _meetings;

        /// <summary>What the app holds once the commands ran, read once for all the orders CsCheck compares it with.</summary>
        public (DecisionProcess Process, List<Meeting> Meetings)? After { get; set; }

        public Guid Process
        {
            get
            {
                lock (_gate)
                {
                    if (_process == Guid.Empty)
                        (_process, _codes, _meetings) = CreateAsync(Setup).GetAwaiter().GetResult();
                    return _process;
                }
            }
        }

        public override string ToString() => After is not { } after ? $"set-up {Setup}" :
            $"{after.Process.State}, concept v{after.Process.Concepts.Count}, deadline {after.Process.DeadlineAt:yyyy-MM-dd}, items " +
            string.Join(", ", _codes.Select((c, i) => $"{"ABC"[i]}: {after.Process.Item(c).State} on {(after.Process.Item(c).MeetingId is { } m ? Array.IndexOf(_meetings[i], m) : -1)}")) +
            "; meetings " + string.Join(", ", after.Meetings.OrderBy(m => m.MunicipalityCode).ThenBy(m => m.Id).Select(m => $"{m.StartsAt:MM-dd HH:mm}{(m.IsCancelled ? " cancelled" : "")}"));
    }

    private static readonly Actor Coordinator = new("coordinator-parallel", "Coördinator", Role.Coordinator);

    private static Actor Secretary(string code) => new($"secretary-{code}", $"Secretaris {code}", Role.Secretary, code);

    private static Actor College(string code) => new($"college-{code}", $"College {code}", Role.College, code);

    private static string ConceptText => "Het college stelt de regionale aanpak vast.";

    /// <summary>
    /// Three colleges, each with a meeting yesterday and one next week; per college (two bits of <paramref name="setup"/>):
    /// not scheduled, scheduled on yesterday's meeting, or scheduled and adopted. The clock stands on the day after.
    /// </summary>
    private static async Task<(Guid, string[], Guid[][])> CreateAsync(int setup)
    {
        var n = Interlocked.Increment(ref s_processes);
        var codes = Enumerable.Range(0, 3).Select(i => $"GM{1000 + n * 3 + i:0000}").ToArray();
        await s_world.SeedAsync($"parallel-{n}", codes);
        {
            s_world.Clock.Now = Start;
            var process = await s_world.InScopeAsync(async sp => (await sp.GetRequiredService<CommandPipeline>().StartAsync(
                new StartProcess("Parallel", $"PAR-{n}", ConceptText, null, new DateOnly(2027, 10, 8), null, Participants: codes), Coordinator, $"parallel-{n}",
                new CommandKey(null, "start", n))).ProcessId);
            var meetings = new Guid[3][];
            for (var c = 0; c < 3; c++)
            {
                var code = codes[c];
                meetings[c] = [
                    await AddMeetingAsync(code, Amsterdam.At(new DateOnly(2027, 9, 7), new TimeOnly(10, 0))),
                    await AddMeetingAsync(code, Amsterdam.At(new DateOnly(2027, 9, 14), new TimeOnly(10, 0))),
                ];
                if ((setup >> (2 * c) & 3) >= 1)
                    await RunAsync(process, new ScheduleItem(meetings[c][0]) { Municipality = code }, Secretary(code));
            }
            s_world.Clock.Now = Amsterdam.At(new DateOnly(2027, 9, 8), new TimeOnly(9, 0));
            for (var c = 0; c < 3; c++)
            {
                if ((setup >> (2 * c) & 3) >= 2)
                    await RunAsync(process, new RecordDecision(DecisionOutcome.Adopted, 1) { Municipality = codes[c] }, College(codes[c]));
            }
            return (process, codes, meetings);
        }
    }

    private static Task<Guid> AddMeetingAsync(string code, DateTimeOffset at) =>
        s_world.InScopeAsync(async sp => (await sp.GetRequiredService<MeetingCommands>().AddAsync(code, new MeetingChange(at), Secretary(code))).Id);

    private static Task RunAsync(Guid process, ProcessCommand command, Actor actor) =>
        s_world.InScopeAsync(async sp => (await sp.GetRequiredService<CommandPipeline>().RunAsync(process, command, actor, new CommandKey(null, command.Command, Guid.NewGuid()))).State);

    /// <summary>Runs a command as its person would, on the thread CsCheck gives it; a refusal is an answer, not a failure.</summary>
    private static void Try(Func<Task> command)
    {
        try
        {
            command().GetAwaiter().GetResult();
        }
        catch (DomainException)
        {
        }
    }

    /// <summary>The model of the same set-up, built without touching the app.</summary>
    private static ReferenceModel ModelOf(int setup)
    {
        var model = new ReferenceModel(Start, ["A", "B", "C"]);
        var process = model.Start(Guid.Empty, EndOfDay(new DateOnly(2027, 10, 8)), new DateOnly(2027, 10, 8), ConceptText, ["A", "B", "C"]);
        var meetings = new List<MMeeting>();
        foreach (var code in new[] { "A", "B", "C" })
        {
            model.AddMeeting(Guid.NewGuid(), code, Amsterdam.At(new DateOnly(2027, 9, 7), new TimeOnly(10, 0)), true);
            model.AddMeeting(Guid.NewGuid(), code, Amsterdam.At(new DateOnly(2027, 9, 14), new TimeOnly(10, 0)), true);
        }
        for (var c = 0; c < 3; c++)
        {
            if ((setup >> (2 * c) & 3) >= 1)
                model.Schedule(process, "ABC"[c].ToString(), model.Meetings[2 * c], Role.Secretary, "ABC"[c].ToString());
        }
        model.AdvanceTo(Amsterdam.At(new DateOnly(2027, 9, 8), new TimeOnly(9, 0)));
        for (var c = 0; c < 3; c++)
        {
            if ((setup >> (2 * c) & 3) >= 2)
                model.Decide(process, "ABC"[c].ToString(), DecisionOutcome.Adopted, 1, null, null, Role.College, "ABC"[c].ToString());
        }
        return model;
    }

    private static MProcess P(ReferenceModel m) => m.Processes[0];

    private static string C(int c) => "ABC"[c].ToString();

    private static readonly GenOperation<Actual, ReferenceModel>[] Operations =
    [
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1], (c, k) => (c, k)).Operation<Actual, ReferenceModel>(t => $"secretary {C(t.Item1)} schedules on meeting {t.Item2}",
            (a, t) => Try(() => RunAsync(a.Process, new ScheduleItem(a.Meetings[t.Item1][t.Item2]) { Municipality = a.Codes[t.Item1] }, Secretary(a.Codes[t.Item1]))),
            (m, t) => m.Schedule(P(m), C(t.Item1), m.Meetings[2 * t.Item1 + t.Item2], Role.Secretary, C(t.Item1))),
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], (c, k) => (c, k)).Operation<Actual, ReferenceModel>(t => $"college {C(t.Item1)} {(t.Item2 switch { 0 => "adopts", 1 => "amends", _ => "defers" })}",
            (a, t) => Try(async () => await RunAsync(a.Process, Decision(t.Item2, a.Codes[t.Item1], await CurrentVersionAsync(a.Process)), College(a.Codes[t.Item1]))),
            (m, t) => m.Decide(P(m), C(t.Item1), Outcome(t.Item2), P(m).Current, Amended(t.Item2), Reason(t.Item2), Role.College, C(t.Item1))),
        Gen.Operation<Actual, ReferenceModel>("coordinator revises the concept",
            a => Try(() => RunAsync(a.Process, new ReviseConcept("Het college stelt de herziene aanpak vast."), Coordinator)),
            m => m.Revise(P(m), "Het college stelt de herziene aanpak vast.")),
        Gen.Operation<Actual, ReferenceModel>("coordinator extends the deadline",
            a => Try(() => RunAsync(a.Process, new ExtendDeadline(new DateOnly(2027, 10, 22), null, "Later"), Coordinator)),
            m => m.Extend(P(m), EndOfDay(new DateOnly(2027, 10, 22)), new DateOnly(2027, 10, 22), "Later")),
        Gen.Operation<Actual, ReferenceModel>("coordinator publishes",
            a => Try(() => RunAsync(a.Process, new Publish(), Coordinator)),
            m => m.Publish(P(m), null)),
        Gen.Operation<Actual, ReferenceModel>("coordinator cancels",
            a => Try(() => RunAsync(a.Process, new CancelProcess("Ingetrokken"), Coordinator)),
            m => m.Cancel(P(m), "Ingetrokken")),
        Gen.Int[0, 2].Operation<Actual, ReferenceModel>(c => $"secretary {C(c)} moves next week's meeting a day",
            (a, c) => Try(() => s_world.InScopeAsync(async sp => (await sp.GetRequiredService<MeetingCommands>()
                .MoveAsync(a.Meetings[c][1], new MeetingChange(Amsterdam.At(new DateOnly(2027, 9, 15), new TimeOnly(10, 0))), Secretary(a.Codes[c]))).Id)),
            (m, c) => m.MoveMeeting(m.Meetings[2 * c + 1], Amsterdam.At(new DateOnly(2027, 9, 15), new TimeOnly(10, 0)), true)),
        Gen.Int[0, 2].Operation<Actual, ReferenceModel>(c => $"secretary {C(c)} cancels next week's meeting",
            (a, c) => Try(() => s_world.InScopeAsync(async sp => (await sp.GetRequiredService<MeetingCommands>()
                .CancelAsync(a.Meetings[c][1], new MeetingChange(null, "Vervalt"), Secretary(a.Codes[c]))).Id)),
            (m, c) => m.CancelMeeting(m.Meetings[2 * c + 1], true)),
    ];

    private static DecisionOutcome Outcome(int kind) => kind switch { 0 => DecisionOutcome.Adopted, 1 => DecisionOutcome.AdoptedWithAmendments, _ => DecisionOutcome.Deferred };

    private static string? Amended(int kind) => kind == 1 ? ConceptText + " Met een evaluatie." : null;

    private static string? Reason(int kind) => kind == 2 ? "Eerst de commissie" : null;

    /// <summary>The college decides on the version its form was loaded with: the current one when it looked.</summary>
    private static RecordDecision Decision(int kind, string code, int version) => new(Outcome(kind), version, null, Amended(kind), Reason(kind)) { Municipality = code };

    private static Task<int> CurrentVersionAsync(Guid process) =>
        s_world.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Set<ConceptVersion>().Where(c => c.ProcessId == process).MaxAsync(c => c.Number));

    /// <summary>The app's process and calendar as the model would describe them.</summary>
    private static bool Equal(Actual actual, ReferenceModel model)
    {
        var id = actual.Process;
        actual.After ??= (
            s_world.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().ProcessAggregates.AsNoTracking().AsSingleQuery().FirstAsync(p => p.Id == id)).GetAwaiter().GetResult(),
            s_world.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().Meetings.AsNoTracking().Where(m => actual.Codes.Contains(m.MunicipalityCode)).ToListAsync()).GetAwaiter().GetResult());
        var (process, meetings) = actual.After.Value;
        var expected = P(model);
        if (process.State != expected.State || process.DeadlineAt != expected.Deadline || process.Concepts.Count != expected.Current)
            return false;
        for (var c = 0; c < 3; c++)
        {
            var item = process.Item(actual.Codes[c]);
            var modelled = expected.Items[C(c)];
            var meetingIndex = item.MeetingId is { } m ? Array.IndexOf(actual.Meetings[c], m) : -1;
            var modelIndex = modelled.Meeting is { } mm ? model.Meetings.IndexOf(mm) - 2 * c : -1;
            if (item.State != modelled.State || meetingIndex != modelIndex || item.MeetingStartsAt != modelled.Meeting?.StartsAt
                || item.LatestDecision?.Outcome != modelled.Latest?.Outcome || item.LatestDecision?.ConceptVersion != modelled.Latest?.Version)
                return false;
            for (var k = 0; k < 2; k++)
            {
                var real = meetings.Single(x => x.Id == actual.Meetings[c][k]);
                var model2 = model.Meetings[2 * c + k];
                if (real.StartsAt != model2.StartsAt || real.IsCancelled != model2.Cancelled)
                    return false;
            }
        }
        return true;
    }

    private static string Describe(ReferenceModel model) =>
        $"{P(model).State}, concept v{P(model).Current}, deadline {P(model).Deadline:yyyy-MM-dd}, items " +
        string.Join(", ", P(model).Items.Select((i, c) => $"{i.Key}: {i.Value.State} on {(i.Value.Meeting is { } m ? model.Meetings.IndexOf(m) - 2 * c : -1)}")) +
        "; meetings " + string.Join(", ", model.Meetings.Select(m => $"{m.StartsAt:MM-dd HH:mm}{(m.Cancelled ? " cancelled" : "")}"));

    [Test]
    public async Task Commands_on_one_process_at_the_same_moment_end_as_some_serial_order_of_them_would()
    {
        s_world = await SimulationWorld.CreateAsync(-1);
        try
        {
            Gen.Int[0, 63].Select(setup => (new Actual(setup), ModelOf(setup)))
                .SampleParallel(Operations, Equal, maxSequentialOperations: 2, maxParallelOperations: 4, iter: 60, threads: 1,
                    printActual: a => a.ToString(), printModel: Describe);
        }
        finally
        {
            await s_world.DisposeAsync();
        }
    }
}
