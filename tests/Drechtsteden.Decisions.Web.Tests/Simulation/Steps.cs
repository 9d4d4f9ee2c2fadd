using System.Globalization;
using CsCheck;

namespace Drechtsteden.Decisions.Web.Tests.Simulation;

/// <summary>
/// One step of a random history, in abstract terms: which process, college or meeting it names is an index taken
/// modulo what exists when the step runs, so every generated history can run, and shrinking keeps it meaningful.
/// </summary>
internal abstract record Step
{
    public abstract string Describe();

    public override string ToString() => Describe();
}

/// <param name="Participants">Which of the history's three colleges take part (a bit mask, 1–7).</param>
/// <param name="Kind">0: a date; 1: an instant; 2: a date on a day the clocks change; 3: 02:30 on such a day.</param>
internal sealed record StartStep(int Participants, int Days, int Kind, int Hour) : Step
{
    public override string Describe() => $"start a process (colleges {Participants}, deadline in {Days} days as {(Kind switch { 0 => "a date", 1 => $"an instant at {Hour}:30", 2 => "a date, clock-change day", _ => "an instant 02:30 on a clock-change day" })})";
}

internal sealed record AddMeetingStep(int College, int Days, int Hour, bool OtherSecretary) : Step
{
    public override string Describe() => $"add a meeting for college #{College} in {Days} days at {Hour}:00{(OtherSecretary ? " (by another college's secretary)" : "")}";
}

internal sealed record MoveMeetingStep(int Meeting, int Days, int Hour) : Step
{
    public override string Describe() => $"move meeting #{Meeting} by {Days} days to {Hour}:00";
}

internal sealed record CancelMeetingStep(int Meeting) : Step
{
    public override string Describe() => $"cancel meeting #{Meeting}";
}

/// <param name="Actor">0–7: the college's own secretary; 8: another college's secretary; 9: the college itself.</param>
internal sealed record ScheduleStep(int Process, int College, int Meeting, int Actor) : Step
{
    public override string Describe() => $"schedule process #{Process} college #{College} on its meeting #{Meeting}{(Actor switch { 8 => " (by another college's secretary)", 9 => " (by the college)", _ => "" })}";
}

/// <param name="Outcome">0 adopted, 1 adopted with amendments, 2 rejected, 3 deferred.</param>
/// <param name="Text">0 no text, 1 the concept with other whitespace, 2 an amended text.</param>
/// <param name="Actor">0–8: the college itself; 9: another college.</param>
internal sealed record DecideStep(int Process, int College, int Outcome, int Text, bool OlderVersion, bool NoReason, int Actor) : Step
{
    public override string Describe() =>
        $"college #{College} decides on process #{Process}: {(Outcome switch { 0 => "adopted", 1 => "adopted with amendments", 2 => "rejected", _ => "deferred" })}, " +
        $"{(Text switch { 0 => "no text", 1 => "concept text with other whitespace", _ => "amended text" })}{(OlderVersion ? ", on concept version 1" : "")}{(NoReason ? ", no reason" : "")}{(Actor == 9 ? " (by another college)" : "")}";
}

internal sealed record ReviseStep(int Process, bool Blank) : Step
{
    public override string Describe() => $"revise the concept of process #{Process}{(Blank ? " with a blank text" : "")}";
}

internal sealed record ExtendStep(int Process, int Days, bool AsInstant, bool NoReason) : Step
{
    public override string Describe() => $"extend process #{Process} to {Days} days from now as {(AsInstant ? "an instant" : "a date")}{(NoReason ? ", no reason" : "")}";
}

internal sealed record PublishStep(int Process, int Hours) : Step
{
    public override string Describe() => $"publish process #{Process} {(Hours == 0 ? "now" : $"in {Hours} hours")}";
}

/// <param name="DaysAgo">The date given: today minus this many days (−1: tomorrow; 99: none).</param>
/// <param name="Actor">0–7: the council's own griffier; 8: another council's griffier; 9: the college's secretary.</param>
internal sealed record ConfirmCouncilStep(int Process, int College, int DaysAgo, int Actor) : Step
{
    public override string Describe() =>
        $"griffier confirms council #{College} of process #{Process} informed {(DaysAgo switch { 99 => "without a date", -1 => "tomorrow", 0 => "today", _ => $"{DaysAgo} days ago" })}" +
        $"{(Actor switch { 8 => " (by another council's griffier)", 9 => " (by the secretary)", _ => "" })}";
}

internal sealed record CancelStep(int Process, bool NoReason) : Step
{
    public override string Describe() => $"cancel process #{Process}{(NoReason ? " without a reason" : "")}";
}

internal sealed record AdvanceStep(int Minutes) : Step
{
    public override string Describe() => $"time passes: {TimeSpan.FromMinutes(Minutes).ToString(@"d\d\ hh\:mm", CultureInfo.InvariantCulture)}, due timers fire";
}

/// <summary>A history: the clock's start (days after 1 March 2027, and an hour) and its steps; the first starts a process.</summary>
internal sealed record History(int StartDay, int StartHour, IReadOnlyList<Step> Steps)
{
    public DateTimeOffset Start => Time.Amsterdam.At(new DateOnly(2027, 3, 1).AddDays(StartDay), new TimeOnly(StartHour, 0));

    public override string ToString() =>
        $"History from {Start:yyyy-MM-dd HH:mm}Z, {Steps.Count} steps:\n" + string.Join("\n", Steps.Select((s, i) => $"  {i + 1,3}. {s.Describe()}"));

    /// <summary>
    /// A process is started and the colleges get a few meetings first (so that most later steps have something to act
    /// on), then <paramref name="minSteps"/>–<paramref name="maxSteps"/> steps in all. One history in fifty is shorter: it
    /// counts for nothing, but it lets a failure shrink to the few steps that matter.
    /// </summary>
    public static Gen<History> Generate(int minSteps, int maxSteps) =>
        // The steps come first: CsCheck compares sizes component by component, so a shorter history counts as smaller.
        Gen.Select(Gen.Frequency((1, Gen.Int[0, minSteps - 6]), (49, Gen.Int[minSteps - 5, maxSteps - 5])).SelectMany(n => StepGen.List[n]),
            StartGen, MeetingGen.List[4, 4], Gen.Int[0, 240], Gen.Int[7, 16],
            (steps, start, meetings, day, hour) => new History(day, hour, [start, .. meetings, .. steps]));

    private static readonly Gen<Step> MeetingGen =
        Gen.Select(Gen.Int[0, 2], Gen.Int[1, 40], Gen.Int[7, 17], (c, d, h) => (Step)new AddMeetingStep(c, d, h, false));

    private static readonly Gen<Step> StartGen =
        Gen.Select(Gen.Int[1, 7], Gen.Int[1, 80], Gen.Int[0, 3], Gen.Int[0, 23], (p, d, k, h) => (Step)new StartStep(p, d, k, h));

    private static readonly Gen<Step> StepGen = Gen.Frequency(
        (1, StartGen),
        (6, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 40], Gen.Int[7, 17], Gen.Int[0, 19], (c, d, h, o) => (Step)new AddMeetingStep(c, d, h, o == 0))),
        (2, Gen.Select(Gen.Int[0, 9], Gen.Int[-10, 30], Gen.Int[7, 17], (m, d, h) => (Step)new MoveMeetingStep(m, d, h))),
        (1, Gen.Int[0, 9].Select(m => (Step)new CancelMeetingStep(m))),
        (10, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 2], Gen.Int[0, 4], Gen.Int[0, 9], (p, c, m, a) => (Step)new ScheduleStep(p, c, m, a))),
        (9, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 2], Gen.Frequency((6, Gen.Const(0)), (2, Gen.Const(1)), (1, Gen.Const(2)), (1, Gen.Const(3))),
            Gen.Frequency((5, Gen.Const(0)), (2, Gen.Const(1)), (2, Gen.Const(2))), Gen.Int[0, 9], Gen.Int[0, 9], Gen.Int[0, 9],
            (p, c, o, t, old, reason, a) => (Step)new DecideStep(p, c, o, t, old == 0, reason == 0, a))),
        (2, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 9], (p, b) => (Step)new ReviseStep(p, b == 0))),
        (2, Gen.Select(Gen.Int[0, 1], Gen.Int[-5, 60], Gen.Bool, Gen.Int[0, 9], (p, d, i, r) => (Step)new ExtendStep(p, d, i, r == 0))),
        (2, Gen.Select(Gen.Int[0, 1], Gen.Frequency((2, Gen.Const(0)), (1, Gen.Int[1, 72])), (p, h) => (Step)new PublishStep(p, h))),
        (1, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 4], (p, r) => (Step)new CancelStep(p, r == 0))),
        (4, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 2], Gen.Frequency((6, Gen.Int[0, 3]), (1, Gen.Const(-1)), (1, Gen.Const(99)), (1, Gen.Int[4, 30])), Gen.Int[0, 9],
            (p, c, d, a) => (Step)new ConfirmCouncilStep(p, c, d, a))),
        (8, Gen.Frequency((2, Gen.Int[1, 60]), (4, Gen.Int[60, 1440]), (4, Gen.Int[1440, 20160])).Select(m => (Step)new AdvanceStep(m))));
}
