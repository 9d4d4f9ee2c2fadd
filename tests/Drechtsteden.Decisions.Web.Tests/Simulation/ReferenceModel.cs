using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Web.Tests.Simulation;

/// <summary>
/// A small reference model of PRODUCT.md's process, written apart from the engine: plain rules over plain objects,
/// no workflow definition, no guards, no Stateless. It says whether each command is accepted, what states follow, which
/// timers must exist, and how many commands each process's audit chain must record. Only the calendar arithmetic
/// (Amsterdam time, Dutch working days) is borrowed from the domain, which has its own tests.
/// </summary>
internal sealed partial class ReferenceModel
{
    public const string Running = "Running", Diverged = "Diverged", Synchronized = "Synchronized", Overdue = "Overdue",
        PublicationPlanned = "PublicationPlanned", Published = "Published", CouncilsInformed = "CouncilsInformed", Cancelled = "Cancelled";

    public const string Unscheduled = "Unscheduled", Scheduled = "Scheduled", Deferred = "Deferred", Decided = "Decided", CouncilInformed = "CouncilInformed";

    public ReferenceModel(DateTimeOffset now, IReadOnlyList<string> colleges)
    {
        Now = now;
        Colleges = colleges;
    }

    public DateTimeOffset Now { get; private set; }

    public IReadOnlyList<string> Colleges { get; }

    public List<MProcess> Processes { get; } = [];

    public List<MMeeting> Meetings { get; } = [];

    public sealed record MDecision(DecisionOutcome Outcome, int Version, bool MatchesConcept);

    public sealed class MItem
    {
        public string State { get; set; } = Unscheduled;

        public MMeeting? Meeting { get; set; }

        public MDecision? Latest { get; set; }

        /// <summary>The date the griffier says the council got the raadsinformatiebrief.</summary>
        public DateOnly? CouncilInformedOn { get; set; }
    }

    public sealed class MMeeting(Guid id, string college, DateTimeOffset startsAt)
    {
        public Guid Id { get; } = id;

        public string College { get; } = college;

        public DateTimeOffset StartsAt { get; set; } = startsAt;

        public bool Cancelled { get; set; }
    }

    public sealed class MProcess(Guid id, DateTimeOffset deadline, DateOnly? deadlineDate, string concept, IEnumerable<string> participants)
    {
        public Guid Id { get; } = id;

        public string State { get; set; } = Running;

        public DateTimeOffset Deadline { get; set; } = deadline;

        public DateOnly? DeadlineDate { get; set; } = deadlineDate;

        public List<string> Concepts { get; } = [Normalize(concept)];

        public int Current => Concepts.Count;

        public SortedDictionary<string, MItem> Items { get; } = new(participants.ToDictionary(p => p, _ => new MItem()), StringComparer.Ordinal);

        public DateTimeOffset? PublicationAt { get; set; }

        /// <summary>Entries a person's accepted commands put on the chain (one each; a moved meeting one per item on it).</summary>
        public int Commands { get; set; } = 1;

        /// <summary>Published is not the end: the councils are informed first (workflow version 5).</summary>
        public bool Final => State is CouncilsInformed or Cancelled;

        /// <summary>The decisions are public and final: only the councils step is left.</summary>
        public bool Closed => Final || State == Published;

        public bool Identical(MItem i) => i.Latest is { Outcome: DecisionOutcome.Adopted or DecisionOutcome.AdoptedWithAmendments, MatchesConcept: true } d && d.Version == Current;

        public bool DivergedItem(MItem i) => i.Latest is { Outcome: not DecisionOutcome.Deferred } d && d.Version == Current && !Identical(i);

        public DateOnly LastDay => DeadlineDate ?? Amsterdam.DateOf(Deadline.AddTicks(-1));
    }

    public static string Normalize(string? text) => Whitespace().Replace(text ?? "", " ").Trim();

    public static DateTimeOffset EndOfDay(DateOnly date) => Amsterdam.StartOfDay(date.AddDays(1));

    public MProcess Start(Guid id, DateTimeOffset deadline, DateOnly? date, string concept, IEnumerable<string> participants)
    {
        var process = new MProcess(id, deadline, date, concept, participants);
        Processes.Add(process);
        return process;
    }

    public bool AddMeeting(Guid id, string college, DateTimeOffset startsAt, bool ownSecretary)
    {
        if (!ownSecretary || startsAt <= Now)
            return false;
        Meetings.Add(new MMeeting(id, college, startsAt));
        return true;
    }

    private IEnumerable<(MProcess Process, string Code, MItem Item)> ItemsOn(MMeeting meeting) =>
        Processes.SelectMany(p => p.Items.Where(i => i.Value.Meeting == meeting).Select(i => (p, i.Key, i.Value)));

    public bool MoveMeeting(MMeeting meeting, DateTimeOffset startsAt, bool ownSecretary)
    {
        if (!ownSecretary || meeting.Cancelled || meeting.StartsAt <= Now || startsAt <= Now)
            return false;
        var on = ItemsOn(meeting).ToList();
        if (on.Any(i => startsAt >= i.Process.Deadline))
            return false;
        meeting.StartsAt = startsAt;
        foreach (var process in on.Select(i => i.Process).Distinct())
            process.Commands += on.Count(i => i.Process == process);
        return true;
    }

    public bool CancelMeeting(MMeeting meeting, bool ownSecretary)
    {
        if (!ownSecretary || ItemsOn(meeting).Any() || meeting.Cancelled || meeting.StartsAt <= Now)
            return false;
        meeting.Cancelled = true;
        return true;
    }

    public bool Schedule(MProcess p, string code, MMeeting? meeting, Role role, string? actsFor)
    {
        if (p.Closed || role != Role.Secretary)
            return false;
        var item = p.Items[code];
        if (item.State == Decided || actsFor != code)
            return false;
        if (meeting is null || meeting.College != code || meeting.Cancelled || meeting.StartsAt <= Now || meeting.StartsAt >= p.Deadline)
            return false;
        item.State = Scheduled;
        item.Meeting = meeting;
        return Accepted(p);
    }

    /// <summary>A decision (any outcome but deferral) or a deferral, as the college records it.</summary>
    public bool Decide(MProcess p, string code, DecisionOutcome outcome, int version, string? text, string? reason, Role role, string? actsFor)
    {
        if (p.Closed || role != Role.College)
            return false;
        var item = p.Items[code];
        if (item.State != Scheduled || actsFor != code)
            return false;
        if (Amsterdam.DateOf(Now) < Amsterdam.DateOf(item.Meeting!.StartsAt))
            return false;
        if (version < 1 || version > p.Current)
            return false;
        if (outcome == DecisionOutcome.AdoptedWithAmendments && string.IsNullOrWhiteSpace(text))
            return false;
        if (outcome == DecisionOutcome.Deferred && string.IsNullOrWhiteSpace(reason))
            return false;
        var concept = p.Concepts[version - 1];
        if (outcome == DecisionOutcome.Adopted && text is not null && Normalize(text) != concept)
            return false;
        var adopted = outcome switch
        {
            DecisionOutcome.Adopted => concept,
            DecisionOutcome.AdoptedWithAmendments => text!.Trim(),
            _ => null,
        };
        item.Latest = new MDecision(outcome, version, adopted is not null && Normalize(adopted) == concept);
        if (outcome == DecisionOutcome.Deferred)
        {
            item.State = Deferred;
            item.Meeting = null;
        }
        else
        {
            item.State = Decided;
        }
        return Accepted(p);
    }

    public bool Revise(MProcess p, string text)
    {
        if (p.State is not (Running or Diverged or Synchronized or Overdue) || string.IsNullOrWhiteSpace(text))
            return false;
        if (p.State != Overdue)
            p.State = Running;
        p.Concepts.Add(Normalize(text));
        return Accepted(p);
    }

    public bool Extend(MProcess p, DateTimeOffset deadline, DateOnly? date, string reason)
    {
        if (p.State is not (Running or Diverged or Synchronized or Overdue) || string.IsNullOrWhiteSpace(reason) || deadline <= p.Deadline || deadline <= Now)
            return false;
        if (p.State == Overdue)
            p.State = Running;
        p.Deadline = deadline;
        p.DeadlineDate = date;
        return Accepted(p);
    }

    public bool Publish(MProcess p, DateTimeOffset? at)
    {
        if (p.State != Synchronized)
            return false;
        if (at is { } later && later > Now)
        {
            p.State = PublicationPlanned;
            p.PublicationAt = later;
        }
        else
        {
            p.State = Published;
            p.PublicationAt = Now;
        }
        return Accepted(p);
    }

    /// <summary>A griffier confirms that the council got the letter: after the publication, for the own council, on a day from the publication's to today.</summary>
    public bool ConfirmCouncil(MProcess p, string code, DateOnly? on, Role role, string? actsFor)
    {
        if (p.Final || role != Role.Griffier || actsFor != code)
            return false;
        var item = p.Items[code];
        if (p.State != Published || item.State is not (Decided or CouncilInformed))
            return false;
        if (on is not { } date || date > Amsterdam.DateOf(Now) || date < Amsterdam.DateOf(p.PublicationAt!.Value))
            return false;
        item.State = CouncilInformed;
        item.CouncilInformedOn = date;
        return Accepted(p);
    }

    public bool Cancel(MProcess p, string reason)
    {
        if (p.State is not (Running or Diverged or Synchronized or Overdue or PublicationPlanned) || string.IsNullOrWhiteSpace(reason))
            return false;
        p.State = Cancelled;
        return Accepted(p);
    }

    /// <summary>
    /// Time moves to <paramref name="until"/>: every deadline and planned publication on the way takes effect at its own
    /// instant (reminders only send messages and change no state).
    /// </summary>
    public void AdvanceTo(DateTimeOffset until)
    {
        while (true)
        {
            var next = Processes
                .Select(p => (Process: p, At: p.State is Running or Diverged ? p.Deadline : p.State == PublicationPlanned ? p.PublicationAt!.Value : DateTimeOffset.MaxValue))
                .Where(e => e.At <= until).OrderBy(e => e.At).FirstOrDefault();
            if (next.Process is null)
                break;
            Now = next.At > Now ? next.At : Now;
            next.Process.State = next.Process.State == PublicationPlanned ? Published : Overdue;
            Settle(next.Process);
        }
        Now = until > Now ? until : Now;
    }

    private bool Accepted(MProcess p)
    {
        p.Commands++;
        Settle(p);
        return true;
    }

    /// <summary>What follows by itself: decided on a revised concept → decide again; all identical → synchronized; divergence; overdue.</summary>
    private void Settle(MProcess p)
    {
        if (p.Final)
            return;
        foreach (var item in p.Items.Values)
        {
            if (item.State == Decided && item.Latest!.Outcome != DecisionOutcome.Deferred && item.Latest.Version < p.Current)
            {
                item.State = Unscheduled;
                item.Meeting = null;
            }
        }
        for (var step = 0; step < 16; step++)
        {
            if (p.State is Running or Diverged or Overdue && p.Items.Values.All(p.Identical))
                p.State = Synchronized;
            else if (p.State == Running && p.Items.Values.Any(p.DivergedItem))
                p.State = Diverged;
            else if (p.State == Diverged && !p.Items.Values.Any(p.DivergedItem))
                p.State = Running;
            else if (p.State is Running or Diverged && Now >= p.Deadline)
                p.State = Overdue;
            else if (p.State == Published && p.Items.Values.All(i => i.State == CouncilInformed))
                p.State = CouncilsInformed;
            else
                return;
        }
        throw new InvalidOperationException("The model does not come to rest.");
    }

    /// <summary>The timers a process must have scheduled (key as stored, due instant), whatever is past or ahead.</summary>
    public static IEnumerable<(string Key, DateTimeOffset Due)> Timers(MProcess p)
    {
        if (p.State is Running or Diverged)
        {
            yield return ("deadline|-|0", p.Deadline);
            foreach (var (code, item) in p.Items.Where(i => i.Value.State is Unscheduled or Deferred))
            {
                foreach (var days in new[] { -21, -14, -7 })
                    yield return ($"schedule-reminder|{code}|{days}", Amsterdam.At(WorkingDays.Apply(p.LastDay.AddDays(days), WorkingDayRule.Previous), new TimeOnly(9, 0)));
            }
        }
        if (p.State is Running or Diverged or Overdue)
        {
            foreach (var (code, item) in p.Items.Where(i => i.Value.State == Scheduled))
                yield return ($"decision-reminder|{code}|1", Amsterdam.At(WorkingDays.Apply(Amsterdam.DateOf(item.Meeting!.StartsAt).AddDays(1), WorkingDayRule.Next), new TimeOnly(9, 0)));
        }
        if (p.State == PublicationPlanned)
            yield return ("publication|-|0", p.PublicationAt!.Value);
        if (p.State == Published)
        {
            foreach (var (code, _) in p.Items.Where(i => i.Value.State == Decided))
            {
                foreach (var days in new[] { 7, 14 })
                    yield return ($"council-reminder|{code}|{days}", Amsterdam.At(WorkingDays.Apply(Amsterdam.DateOf(p.PublicationAt!.Value).AddDays(days), WorkingDayRule.Next), new TimeOnly(9, 0)));
            }
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
