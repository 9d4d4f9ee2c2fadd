using System.Globalization;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>The status light of a college or a process, worst last.</summary>
public enum StatusLight
{
    /// <summary>Op koers: nothing needs anyone's attention now.</summary>
    OnTrack,

    /// <summary>Risico: the synchronization is in danger unless someone acts.</summary>
    AtRisk,

    /// <summary>Te laat: a date that mattered has passed.</summary>
    Late,
}

/// <summary>Why a light is what it is, as a code (stable, for the API) and in words (Dutch, for people).</summary>
public sealed record StatusReason(string Code, string Text);

/// <summary>One college's light in a process, with its reasons (the first one is the one that set the light).</summary>
public sealed record CollegeStatus(string Municipality, StatusLight Light, IReadOnlyList<StatusReason> Reasons)
{
    public StatusReason Reason => Reasons[0];
}

/// <summary>What the coordinator should do next, in words, and the command that does it (when there is one).</summary>
public sealed record NextStep(string Code, string Text, string? Command);

/// <summary>
/// A process at a glance: its light (the worst of its colleges'), each college's light with the reason, the
/// coordinator's next step, the target week and the spread of the planned meetings.
/// </summary>
public sealed record ProcessStatus(StatusLight Light, IReadOnlyList<CollegeStatus> Colleges, NextStep? Next, TargetWeek? TargetWeek, int? SpreadDays)
{
    public CollegeStatus Of(string municipality) => Colleges.First(c => c.Municipality == municipality);
}

/// <summary>
/// The synchronous week: the seven days from <see cref="Start"/> in which every college is meant to decide
/// ("gelijktijdig in alle colleges te agenderen"). Stored on the process as its synchronization window's start.
/// </summary>
public readonly record struct TargetWeek(DateOnly Start)
{
    public DateOnly End => Start.AddDays(6);

    public bool Contains(DateOnly date) => date >= Start && date <= End;

    /// <summary>The ISO week number, for "week 36".</summary>
    public int Number => ISOWeek.GetWeekOfYear(Start.ToDateTime(TimeOnly.MinValue));

    /// <summary>The Monday of the week <paramref name="date"/> lies in.</summary>
    public static TargetWeek Containing(DateOnly date) => new(date.AddDays(-(((int)date.DayOfWeek + 6) % 7)));
}

/// <summary>What the status rules read of one college's agenda item.</summary>
/// <param name="LatestOutcome">The latest decision's outcome (null: none yet), with its concept version and whether its text is the concept's.</param>
/// <param name="CouncilInformedOn">The date the griffier placed the raadsinformatiebrief before the council (null: not yet).</param>
public sealed record ItemFacts(string Municipality, DateTimeOffset? MeetingStartsAt, DecisionOutcome? LatestOutcome, int LatestConceptVersion, bool LatestTextMatches,
    DateOnly? CouncilInformedOn = null);

/// <summary>What the status rules read of a process: the aggregate (<see cref="Of(DecisionProcess)"/>) or a list's rows give it alike.</summary>
public sealed record ProcessFacts(string State, Deadline Deadline, DateOnly? SynchronizationWindowStart, DateTimeOffset? PublicationAt, int CurrentConcept, IReadOnlyList<ItemFacts> Items)
{
    public static ProcessFacts Of(DecisionProcess process) => new(process.State, process.Deadline, process.SynchronizationWindowStart, process.PublicationAt,
        process.CurrentConcept.Number,
        process.Items.Select(i => i.LatestDecision is { } d
            ? new ItemFacts(i.MunicipalityCode, i.MeetingStartsAt, d.Outcome, d.ConceptVersion, d.TextMatchesConcept, i.CouncilInformedOn)
            : new ItemFacts(i.MunicipalityCode, i.MeetingStartsAt, null, 0, false, i.CouncilInformedOn)).ToList());

    public bool IsIdentical(ItemFacts item) => DecisionRules.IsIdentical(item.LatestOutcome, item.LatestConceptVersion, item.LatestTextMatches, CurrentConcept);

    public bool IsDiverged(ItemFacts item) => DecisionRules.IsDiverged(item.LatestOutcome, item.LatestConceptVersion, item.LatestTextMatches, CurrentConcept);

    public bool IsDecidedOnOlderVersion(ItemFacts item) => DecisionRules.IsDecidedOnOlderVersion(item.LatestOutcome, item.LatestConceptVersion, CurrentConcept);
}

/// <summary>
/// The rules behind the status lights and the next step, in one pure place: from the process, its definition, the
/// colleges' planned meetings and the time. The pages, the API and the start page all show what this computes.
/// </summary>
public static class ProcessStatusRules
{
    /// <summary>A college has this many working days after its meeting to record the decision before it is late.</summary>
    public const int WorkingDaysToRecord = 2;

    public static readonly StatusReason Identical = new("identical", "gelijkluidend besloten");
    public static readonly StatusReason Divergent = new("divergent", "afwijkend besluit");
    public static readonly StatusReason Deferred = new("deferred", "aangehouden");
    public static readonly StatusReason NotRecorded = new("decision-not-recorded", "besluit niet vastgelegd twee werkdagen na de vergadering");
    public static readonly StatusReason AwaitingRecord = new("decision-awaited", "vergaderd; besluit nog vast te leggen");
    public static readonly StatusReason AfterTargetWeek = new("after-target-week", "vergadert na de synchrone week");
    public static readonly StatusReason BeforeTargetWeek = new("before-target-week", "vergadert vóór de synchrone week");
    public static readonly StatusReason Scheduled = new("scheduled", "geagendeerd");
    public static readonly StatusReason NoMeetingLeft = new("no-meeting-left", "geen vergadering meer vóór de termijn");
    public static readonly StatusReason NoMeetingInTargetWeek = new("no-meeting-in-target-week", "geen vergadering meer in de synchrone week");
    public static readonly StatusReason DeadlinePassed = new("deadline-passed", "termijn verstreken zonder besluit");
    public static readonly StatusReason ToSchedule = new("to-schedule", "nog te agenderen");
    public static readonly StatusReason DecideAgain = new("decide-again", "opnieuw besluiten over de nieuwe conceptversie");
    public static readonly StatusReason Closed = new("closed", "proces afgesloten");
    public static readonly StatusReason CouncilToInform = new("council-to-inform", "raadsinformatiebrief nog aan de raad aan te bieden");
    public static readonly StatusReason CouncilLate = new("council-not-informed", "raad twee weken na de publicatie nog niet geïnformeerd");
    public static readonly StatusReason CouncilInformed = new("council-informed", "raad geïnformeerd");

    /// <summary>A griffier has this many days after the publication to confirm that the council got the letter before the light turns to risk.</summary>
    public const int DaysToInformCouncil = 14;

    /// <param name="plannedMeetings">Per participating college, the start of its planned (not cancelled) meetings from now on.</param>
    public static ProcessStatus Of(WorkflowDefinition definition, DecisionProcess process, IReadOnlyDictionary<string, IReadOnlyList<DateTimeOffset>> plannedMeetings, DateTimeOffset now) =>
        Of(definition, ProcessFacts.Of(process), plannedMeetings, now);

    /// <param name="plannedMeetings">Per participating college, the start of its planned (not cancelled) meetings from now on.</param>
    public static ProcessStatus Of(WorkflowDefinition definition, ProcessFacts process, IReadOnlyDictionary<string, IReadOnlyList<DateTimeOffset>> plannedMeetings, DateTimeOffset now)
    {
        var target = process.SynchronizationWindowStart is { } start ? new TargetWeek(start) : (TargetWeek?)null;
        var planned = process.Items.Where(i => i.MeetingStartsAt is not null).Select(i => Amsterdam.DateOf(i.MeetingStartsAt!.Value)).ToList();
        int? spread = planned.Count > 1 ? planned.Max().DayNumber - planned.Min().DayNumber : null;
        if (definition.Process.IsFinal(process.State))
            return new ProcessStatus(StatusLight.OnTrack, process.Items.Select(i => new CollegeStatus(i.Municipality, StatusLight.OnTrack, [Closed])).ToList(), null, target, spread);
        if (definition.IsEmbargoLifted(process.State))
            return Councils(process, target, spread, now);
        var colleges = process.Items.OrderBy(i => i.Municipality, StringComparer.Ordinal)
            .Select(i => College(process, i, target, plannedMeetings.GetValueOrDefault(i.Municipality) ?? [], now)).ToList();
        var light = colleges.Count == 0 ? StatusLight.OnTrack : colleges.Max(c => c.Light);
        if (process.Deadline.HasPassed(now))
            light = StatusLight.Late;
        return new ProcessStatus(light, colleges, Next(definition, process, colleges, target, now), target, spread);
    }

    /// <summary>
    /// One college's light: its decision first, then its meeting, then whether it can still meet in time. Of
    /// <paramref name="plannedMeetings"/> only the earliest after <paramref name="now"/> matters: the whole calendar
    /// and that one meeting give the same light (ProcessStatusTests checks it).
    /// </summary>
    public static CollegeStatus College(ProcessFacts process, ItemFacts item, TargetWeek? target, IReadOnlyList<DateTimeOffset> plannedMeetings, DateTimeOffset now)
    {
        CollegeStatus Status(StatusLight light, params StatusReason[] reasons) => new(item.Municipality, light, reasons);
        if (process.IsIdentical(item))
            return Status(StatusLight.OnTrack, Identical);
        if (process.IsDiverged(item))
            return Status(StatusLight.AtRisk, Divergent);
        var again = process.IsDecidedOnOlderVersion(item);
        if (item.MeetingStartsAt is { } startsAt)
        {
            var date = Amsterdam.DateOf(startsAt);
            if (startsAt <= now)
            {
                // Decided on the meeting's day or later counts; the college has until the end of the second working day after it.
                var due = Amsterdam.StartOfDay(AddWorkingDays(date, WorkingDaysToRecord).AddDays(1));
                return now >= due ? Status(StatusLight.Late, NotRecorded) : Status(StatusLight.OnTrack, AwaitingRecord);
            }
            if (target is { } week && date > week.End)
                return Status(StatusLight.AtRisk, AfterTargetWeek);
            if (target is { } early && date < early.Start)
                return Status(StatusLight.AtRisk, BeforeTargetWeek);
            return again ? Status(StatusLight.OnTrack, Scheduled, DecideAgain) : Status(StatusLight.OnTrack, Scheduled);
        }
        var deferred = item.LatestOutcome == DecisionOutcome.Deferred;
        StatusReason[] With(StatusReason first) => [first, .. deferred ? [Deferred] : Array.Empty<StatusReason>(), .. again ? [DecideAgain] : Array.Empty<StatusReason>()];
        if (process.Deadline.HasPassed(now))
            return Status(StatusLight.Late, With(DeadlinePassed));
        // Only here does the college's calendar count (ReadsCalendar).
        var before = plannedMeetings.Where(m => m > now && m < process.Deadline.Instant).ToList();
        if (before.Count == 0)
            return Status(StatusLight.Late, With(NoMeetingLeft));
        if (target is { } t && !before.Any(m => Amsterdam.DateOf(m) <= t.End))
            return Status(StatusLight.AtRisk, With(NoMeetingInTargetWeek));
        if (deferred)
            return Status(StatusLight.AtRisk, [Deferred, .. again ? [DecideAgain] : Array.Empty<StatusReason>()]);
        return Status(StatusLight.OnTrack, With(ToSchedule));
    }

    /// <summary>
    /// Whether <see cref="College"/> reads the college's calendar for this item: only for an item that is not decided
    /// (identically or divergently) and not on a meeting, while the deadline has not passed. Everywhere else the light
    /// follows from the process alone.
    /// </summary>
    public static bool ReadsCalendar(ProcessFacts process, ItemFacts item, DateTimeOffset now) =>
        !process.IsIdentical(item) && !process.IsDiverged(item) && item.MeetingStartsAt is null && !process.Deadline.HasPassed(now);

    /// <summary>
    /// The colleges whose planned meetings <see cref="Of(WorkflowDefinition, ProcessFacts, IReadOnlyDictionary{string, IReadOnlyList{DateTimeOffset}}, DateTimeOffset)"/>
    /// reads for this process now: none for a closed process or one waiting for its councils, else those of the items
    /// for which <see cref="ReadsCalendar"/> holds. The status given only these colleges' meetings is the status given
    /// every college's (ProcessStatusTests checks it over random processes), so a list reads no more of the calendar.
    /// </summary>
    public static IEnumerable<string> CalendarsRead(WorkflowDefinition definition, ProcessFacts process, DateTimeOffset now) =>
        definition.Process.IsFinal(process.State) || definition.IsEmbargoLifted(process.State)
            ? []
            : process.Items.Where(i => ReadsCalendar(process, i, now)).Select(i => i.Municipality);

    /// <summary>
    /// After the publication, while the process waits for the councils (the definition's councils step): each college's
    /// light says whether its council got the letter; the deadline no longer matters.
    /// </summary>
    private static ProcessStatus Councils(ProcessFacts process, TargetWeek? target, int? spread, DateTimeOffset now)
    {
        var late = process.PublicationAt is { } at && now >= at.AddDays(DaysToInformCouncil);
        var colleges = process.Items.OrderBy(i => i.Municipality, StringComparer.Ordinal)
            .Select(i => i.CouncilInformedOn is not null ? new CollegeStatus(i.Municipality, StatusLight.OnTrack, [CouncilInformed])
                : late ? new CollegeStatus(i.Municipality, StatusLight.AtRisk, [CouncilLate])
                : new CollegeStatus(i.Municipality, StatusLight.OnTrack, [CouncilToInform]))
            .ToList();
        var light = colleges.Count == 0 ? StatusLight.OnTrack : colleges.Max(c => c.Light);
        var informed = colleges.Count(c => c.Reason == CouncilInformed);
        var behind = colleges.Count(c => c.Reason == CouncilLate);
        var next = behind > 0
            ? new NextStep("chase-councils", $"de griffiers aanspreken van de raden die de raadsinformatiebrief nog niet kregen ({behind})", null)
            : new NextStep("wait-councils", $"afwachten: {informed} van {colleges.Count} raden geïnformeerd", null);
        return new ProcessStatus(light, colleges, next, target, spread);
    }

    /// <summary>
    /// The coordinator's next step. What the definition lets the coordinator do in this state decides which steps are
    /// possible (publish only where publishing is a transition, and so on); the colleges' lights say which one matters.
    /// </summary>
    public static NextStep? Next(WorkflowDefinition definition, ProcessFacts process, IReadOnlyList<CollegeStatus> colleges, TargetWeek? target, DateTimeOffset now)
    {
        bool Offers(string command) => definition.Commands.TryGetValue(command, out var trigger)
            && definition.Process.Transitions.Any(t => t.Trigger == trigger && t.From.Contains(process.State, StringComparer.Ordinal));
        if (process.PublicationAt is { } at && at > now)
            return new NextStep("publication-planned", $"niets: de publicatie volgt op {Amsterdam.ToLocal(at).ToString("d MMMM yyyy 'om' HH:mm", Dutch)}", null);
        if (Offers(WorkflowCommands.Publish) && colleges.All(c => c.Reason == Identical))
            return new NextStep("publish", "publicatie vrijgeven", WorkflowCommands.Publish);
        if (process.Deadline.HasPassed(now) && Offers(WorkflowCommands.ExtendDeadline))
            return new NextStep("deadline-passed", "termijn verlengen of het proces annuleren", WorkflowCommands.ExtendDeadline);
        if (colleges.Any(c => c.Reason == Divergent) && Offers(WorkflowCommands.ReviseConcept))
            return new NextStep("divergent", "concept herzien of afwijking bespreken", WorkflowCommands.ReviseConcept);
        if (colleges.Where(c => c.Reason == NoMeetingLeft).ToList() is { Count: > 0 } stuck && Offers(WorkflowCommands.ExtendDeadline))
            return new NextStep("no-meeting-left", $"termijn verlengen of een extra vergadering laten plannen ({stuck.Count} {(stuck.Count == 1 ? "college" : "colleges")} zonder vergadering vóór de termijn)", WorkflowCommands.ExtendDeadline);
        if (colleges.Where(c => c.Reason == NotRecorded).ToList() is { Count: > 0 } late)
            return new NextStep("chase-decision", $"de colleges die hun besluit nog niet vastlegden aanspreken ({late.Count})", null);
        if (target is null && colleges.Any(c => c.Reason == ToSchedule))
            return new NextStep("plan-target-week", "synchrone week vaststellen", WorkflowCommands.PlanTargetWeek);
        if (colleges.Where(c => c.Reason == AfterTargetWeek || c.Reason == BeforeTargetWeek || c.Reason == NoMeetingInTargetWeek).ToList() is { Count: > 0 } off)
            return new NextStep("outside-target-week", $"met de secretarissen een datum in de synchrone week zoeken ({off.Count} {(off.Count == 1 ? "college" : "colleges")} erbuiten)", null);
        var decided = colleges.Count(c => c.Reason == Identical);
        return new NextStep("wait", $"afwachten: {decided} van {colleges.Count} colleges gelijkluidend besloten", null);
    }

    /// <summary>
    /// The proposed target week: the earliest week, from this week until the deadline, in which every participating
    /// college has a planned meeting that has not started yet and does not fall on a public holiday or in the summer
    /// recess — null when there is none (the colleges do not all meet in one week before the deadline).
    /// </summary>
    public static TargetWeek? ProposeTargetWeek(IReadOnlyCollection<string> colleges, IEnumerable<(string Municipality, DateTimeOffset StartsAt)> plannedMeetings, DateTimeOffset now, DateTimeOffset deadline)
    {
        if (colleges.Count == 0)
            return null;
        var weeks = plannedMeetings
            .Where(m => m.StartsAt > now && m.StartsAt < deadline && colleges.Contains(m.Municipality))
            .Select(m => (m.Municipality, Date: Amsterdam.DateOf(m.StartsAt)))
            .Where(m => !WorkingDays.IsPublicHoliday(m.Date) && !MeetingCalendar.IsSummerRecess(m.Date))
            .GroupBy(m => TargetWeek.Containing(m.Date))
            .Where(g => g.Select(m => m.Municipality).Distinct().Count() == colleges.Count)
            .Select(g => g.Key)
            .OrderBy(w => w.Start)
            .ToList();
        return weeks.Count > 0 ? weeks[0] : null;
    }

    /// <summary>The coordinator is told when a college decided differently from the concept (amended or rejected).</summary>
    public const string CollegeDiverged = "college-diverged";

    /// <summary>The coordinator is told when a college deferred (aangehouden).</summary>
    public const string CollegeDeferred = "college-deferred";

    /// <summary>The coordinator is told when an item is scheduled (or moved) outside the synchronous week.</summary>
    public const string OutsideTargetWeek = "outside-target-week";

    /// <summary>
    /// What the coordinator must hear about after a command, derived from the process before and after it: a college
    /// that now diverges (it amended or rejected), one that deferred, an item now on a meeting outside the target week.
    /// </summary>
    public static IReadOnlyList<(string Notification, string Municipality)> CoordinatorSignals(ProcessFacts before, ProcessFacts after)
    {
        var signals = new List<(string, string)>();
        var target = after.SynchronizationWindowStart is { } start ? new TargetWeek(start) : (TargetWeek?)null;
        foreach (var item in after.Items)
        {
            var was = before.Items.FirstOrDefault(i => i.Municipality == item.Municipality);
            if (was is null)
                continue;
            if (after.IsDiverged(item) && !(before.IsDiverged(was) && was.LatestOutcome == item.LatestOutcome && was.LatestConceptVersion == item.LatestConceptVersion))
                signals.Add((CollegeDiverged, item.Municipality));
            if (item.LatestOutcome == DecisionOutcome.Deferred && was.MeetingStartsAt is not null && item.MeetingStartsAt is null)
                signals.Add((CollegeDeferred, item.Municipality));
            if (target is { } week && item.MeetingStartsAt is { } at && at != was.MeetingStartsAt && !week.Contains(Amsterdam.DateOf(at)))
                signals.Add((OutsideTargetWeek, item.Municipality));
        }
        return signals;
    }

    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-NL");

    private static DateOnly AddWorkingDays(DateOnly date, int days)
    {
        while (days > 0)
        {
            date = date.AddDays(1);
            if (WorkingDays.IsWorkingDay(date))
                days--;
        }
        return date;
    }
}
