using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Tests.Processes;

/// <summary>The status lights, the coordinator's next step, the proposed target week and the coordinator's signals (issue 18).</summary>
public sealed class ProcessStatusTests
{
    private const string Dordrecht = "GM0505";
    private const string Papendrecht = "GM0590";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    private Scenario _s = null!;

    [SetUp]
    public void NewScenario() => _s = new Scenario();

    private WorkflowDefinition Definition(DecisionProcess p) => _s.Workflow.DefinitionOf(p);

    /// <summary>Every college meets weekly on Tuesday 10:00 from now until the deadline, unless told otherwise.</summary>
    private Dictionary<string, IReadOnlyList<DateTimeOffset>> Weekly(DecisionProcess p, params string[] without)
    {
        var meetings = new Dictionary<string, IReadOnlyList<DateTimeOffset>>();
        foreach (var code in p.Items.Select(i => i.MunicipalityCode).Except(without))
        {
            var list = new List<DateTimeOffset>();
            for (var d = new DateOnly(2024, 8, 6); d <= new DateOnly(2024, 9, 10); d = d.AddDays(7))
                list.Add(Amsterdam.At(d, new TimeOnly(10, 0)));
            meetings[code] = list.Where(m => m > _s.Now).ToList();
        }
        return meetings;
    }

    private ProcessStatus Status(DecisionProcess p, Dictionary<string, IReadOnlyList<DateTimeOffset>>? meetings = null) =>
        ProcessStatusRules.Of(Definition(p), p, meetings ?? Weekly(p), _s.Now);

    [Test]
    public void A_new_process_is_on_track_and_asks_the_coordinator_for_a_target_week()
    {
        var p = _s.Start();
        var status = Status(p);
        Assert.That(status.Light, Is.EqualTo(StatusLight.OnTrack));
        Assert.That(status.Colleges.Select(c => c.Reason), Is.All.EqualTo(ProcessStatusRules.ToSchedule));
        Assert.That(status.Next!.Text, Is.EqualTo("synchrone week vaststellen"));
        Assert.That(status.Next.Command, Is.EqualTo(WorkflowCommands.PlanTargetWeek));
    }

    [Test]
    public void A_college_without_a_meeting_before_the_deadline_is_late_and_the_next_step_is_to_extend()
    {
        var p = _s.Start();
        var status = Status(p, Weekly(p, without: Papendrecht));
        Assert.That(status.Of(Papendrecht).Light, Is.EqualTo(StatusLight.Late));
        Assert.That(status.Of(Papendrecht).Reason.Text, Is.EqualTo("geen vergadering meer vóór de termijn"));
        Assert.That(status.Light, Is.EqualTo(StatusLight.Late));
        Assert.That(status.Next!.Command, Is.EqualTo(WorkflowCommands.ExtendDeadline));
    }

    [Test]
    public void A_college_that_meets_after_the_synchronous_week_is_at_risk()
    {
        var p = _s.Start(window: new DateOnly(2024, 8, 26));
        _s.ScheduleOn(p, Dordrecht, Sept3);
        var status = Status(p);
        Assert.That(status.Of(Dordrecht).Light, Is.EqualTo(StatusLight.AtRisk));
        Assert.That(status.Of(Dordrecht).Reason.Text, Is.EqualTo("vergadert na de synchrone week"));
        Assert.That(status.Next!.Code, Is.EqualTo("outside-target-week"));
    }

    [Test]
    public void A_decision_not_recorded_two_working_days_after_the_meeting_is_late()
    {
        var p = _s.Start();
        _s.ScheduleOn(p, Dordrecht, new DateOnly(2024, 8, 30)); // a Friday
        _s.AdvanceTo(Amsterdam.At(new DateOnly(2024, 9, 3), new TimeOnly(23, 0))); // Tuesday evening: Monday and Tuesday were the two working days
        Assert.That(Status(p).Of(Dordrecht).Light, Is.EqualTo(StatusLight.OnTrack), "until the end of the second working day");
        Assert.That(Status(p).Of(Dordrecht).Reason, Is.EqualTo(ProcessStatusRules.AwaitingRecord));
        _s.AdvanceTo(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(0, 1)));
        Assert.That(Status(p).Of(Dordrecht).Light, Is.EqualTo(StatusLight.Late));
        Assert.That(Status(p).Of(Dordrecht).Reason.Text, Is.EqualTo("besluit niet vastgelegd twee werkdagen na de vergadering"));
    }

    [Test]
    public void A_divergent_decision_is_at_risk_and_the_next_step_is_to_revise_or_discuss()
    {
        var p = _s.Start();
        _s.ScheduleOn(p, Dordrecht, Sept3);
        _s.AdvanceTo(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        _s.Decide(p, Dordrecht, DecisionOutcome.AdoptedWithAmendments, text: "Een andere tekst.");
        var status = Status(p);
        Assert.That(status.Of(Dordrecht).Light, Is.EqualTo(StatusLight.AtRisk));
        Assert.That(status.Of(Dordrecht).Reason.Text, Is.EqualTo("afwijkend besluit"));
        Assert.That(status.Next!.Text, Is.EqualTo("concept herzien of afwijking bespreken"));
    }

    [Test]
    public void When_every_college_decided_identically_the_next_step_is_to_release_the_publication()
    {
        var p = _s.Start();
        _s.AllAdopt(p);
        var status = Status(p, []);
        Assert.That(status.Colleges.Select(c => c.Light), Is.All.EqualTo(StatusLight.OnTrack));
        Assert.That(status.Next!.Text, Is.EqualTo("publicatie vrijgeven"));
        Assert.That(status.SpreadDays, Is.Zero);
    }

    [Test]
    public void After_the_deadline_an_open_process_is_late()
    {
        var p = _s.Start();
        _s.AdvanceTo(Amsterdam.At(new DateOnly(2024, 9, 11), new TimeOnly(9, 0)));
        var status = Status(p, []);
        Assert.That(status.Light, Is.EqualTo(StatusLight.Late));
        Assert.That(status.Of(Dordrecht).Reason.Text, Is.EqualTo("termijn verstreken zonder besluit"));
    }

    [Test]
    public void The_spread_is_the_days_between_the_first_and_the_last_planned_meeting()
    {
        var p = _s.Start();
        _s.ScheduleOn(p, Dordrecht, new DateOnly(2024, 8, 27));
        _s.ScheduleOn(p, Papendrecht, Sept3);
        Assert.That(Status(p).SpreadDays, Is.EqualTo(7));
    }

    [Test]
    public void The_proposed_target_week_is_the_earliest_in_which_every_college_meets_outside_recess_and_holidays()
    {
        var colleges = new[] { Dordrecht, Papendrecht };
        var now = Amsterdam.At(new DateOnly(2024, 7, 1), new TimeOnly(8, 0));
        var deadline = Amsterdam.StartOfDay(new DateOnly(2024, 12, 31));
        (string, DateTimeOffset) At(string code, int year, int month, int day) => (code, Amsterdam.At(new DateOnly(year, month, day), new TimeOnly(10, 0)));
        var meetings = new[]
        {
            At(Dordrecht, 2024, 7, 2), At(Papendrecht, 2024, 7, 9),                 // different weeks
            At(Dordrecht, 2024, 7, 23), At(Papendrecht, 2024, 7, 24),               // week 30: summer recess
            At(Dordrecht, 2024, 12, 24), At(Papendrecht, 2024, 12, 25),             // Christmas Day is a public holiday
            At(Dordrecht, 2024, 9, 10), At(Papendrecht, 2024, 9, 12),               // week 37: the first that counts
            At(Dordrecht, 2024, 9, 17), At(Papendrecht, 2024, 9, 17),
        };
        var week = ProcessStatusRules.ProposeTargetWeek(colleges, meetings, now, deadline);
        Assert.That(week, Is.EqualTo(new TargetWeek(new DateOnly(2024, 9, 9))));
        Assert.That(ProcessStatusRules.ProposeTargetWeek(colleges, meetings.Take(6), now, deadline), Is.Null, "no week in which both meet");
        Assert.That(ProcessStatusRules.ProposeTargetWeek(colleges, meetings, now, Amsterdam.StartOfDay(new DateOnly(2024, 9, 13))), Is.EqualTo(new TargetWeek(new DateOnly(2024, 9, 9))),
            "both meetings of week 37 lie before a deadline of 13 September 00:00");
        Assert.That(ProcessStatusRules.ProposeTargetWeek(colleges, meetings, now, Amsterdam.StartOfDay(new DateOnly(2024, 9, 12))), Is.Null,
            "Papendrecht's meeting of 12 September starts after a deadline of 12 September 00:00, and no earlier week has both");
        Assert.That(ProcessStatusRules.ProposeTargetWeek(colleges, meetings, Amsterdam.At(new DateOnly(2024, 9, 11), new TimeOnly(8, 0)), deadline), Is.EqualTo(new TargetWeek(new DateOnly(2024, 9, 16))),
            "a meeting that has started no longer counts");
    }

    [Test]
    public void The_coordinator_sets_the_target_week_as_its_Monday_only_before_the_deadline()
    {
        var p = _s.Start();
        var outcome = _s.Workflow.Execute(p, new PlanTargetWeek(new DateOnly(2024, 9, 5)), Scenario.Coordinator, _s.Now);
        Assert.That(p.SynchronizationWindowStart, Is.EqualTo(new DateOnly(2024, 9, 2)));
        Assert.That(outcome.Changes.Single().Audit, Is.EqualTo("target-week.planned"));
        Assert.That(Assert.Throws<DomainException>(() => _s.Workflow.Execute(p, new PlanTargetWeek(new DateOnly(2024, 9, 16)), Scenario.Coordinator, _s.Now))!.Code,
            Is.EqualTo("target-week-after-deadline"));
        Assert.That(Assert.Throws<DomainException>(() => _s.Workflow.Execute(p, new PlanTargetWeek(new DateOnly(2024, 9, 5)), Scenario.Secretary(Dordrecht), _s.Now))!.Kind,
            Is.EqualTo(DomainErrorKind.Forbidden));
    }

    [Test]
    public void The_coordinator_hears_of_an_amendment_a_rejection_a_deferral_and_a_meeting_outside_the_target_week()
    {
        var p = _s.Start(window: new DateOnly(2024, 9, 2));
        var outside = _s.Workflow.Schedule(p, Dordrecht, Scenario.MeetingOn(Dordrecht, new DateOnly(2024, 8, 27)), Scenario.Secretary(Dordrecht), _s.Now);
        Assert.That(outside.Notices.Select(n => (n.Notification, n.Recipient)), Does.Contain((ProcessStatusRules.OutsideTargetWeek, Role.Coordinator)));
        var inside = _s.Workflow.Schedule(p, Papendrecht, Scenario.MeetingOn(Papendrecht, Sept3), Scenario.Secretary(Papendrecht), _s.Now);
        Assert.That(inside.Notices, Is.Empty);
        _s.Workflow.Schedule(p, "GM0482", Scenario.MeetingOn("GM0482", Sept3), Scenario.Secretary("GM0482"), _s.Now);

        _s.AdvanceTo(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        Assert.That(_s.Decide(p, Papendrecht, DecisionOutcome.Rejected).Notices.Select(n => n.Notification), Does.Contain(ProcessStatusRules.CollegeDiverged));
        Assert.That(_s.Decide(p, Dordrecht, DecisionOutcome.Deferred, reason: "Meer tijd nodig").Notices.Select(n => n.Notification), Does.Contain(ProcessStatusRules.CollegeDeferred));
        Assert.That(_s.Decide(p, "GM0482", DecisionOutcome.Adopted).Notices.Where(n => n.Recipient == Role.Coordinator), Is.Empty, "an identical adoption is no news");
    }

    [Test]
    public void The_earliest_coming_meeting_of_each_college_gives_the_same_lights_as_its_whole_calendar()
    {
        // The list reads only each college's next meeting; the process page reads the calendar. 300 random calendars, target weeks and moments.
        var random = new Random(18);
        for (var round = 0; round < 300; round++)
        {
            var s = new Scenario();
            var p = s.Start(window: random.Next(3) == 0 ? null : new DateOnly(2024, 8, 5).AddDays(7 * random.Next(6)));
            s.AdvanceTo(Amsterdam.At(new DateOnly(2024, 8, 1).AddDays(random.Next(45)), new TimeOnly(random.Next(24), 0)));
            var calendar = new Dictionary<string, IReadOnlyList<DateTimeOffset>>();
            foreach (var code in p.Items.Select(i => i.MunicipalityCode))
            {
                var meetings = new List<DateTimeOffset>();
                for (var d = new DateOnly(2024, 8, 6); d <= new DateOnly(2024, 9, 24); d = d.AddDays(7))
                {
                    if (random.Next(3) > 0)
                        meetings.Add(Amsterdam.At(d, new TimeOnly(10, 0)));
                }
                var coming = meetings.Where(m => m > s.Now).ToList();
                if (coming.Count > 0)
                    calendar[code] = coming;
            }
            var earliest = calendar.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<DateTimeOffset>)[kv.Value.Min()]);
            var whole = ProcessStatusRules.Of(s.Workflow.DefinitionOf(p), p, calendar, s.Now);
            var next = ProcessStatusRules.Of(s.Workflow.DefinitionOf(p), p, earliest, s.Now);
            Assert.That(next.Colleges.Select(c => (c.Municipality, c.Light, string.Join(";", c.Reasons.Select(r => r.Code)))),
                Is.EqualTo(whole.Colleges.Select(c => (c.Municipality, c.Light, string.Join(";", c.Reasons.Select(r => r.Code))))), $"round {round}");
            Assert.That(next.Next, Is.EqualTo(whole.Next), $"round {round}");
        }
    }

    [Test]
    public void The_status_given_only_the_calendars_it_reads_is_the_status_given_every_calendar()
    {
        // The list reads the next meeting only of the colleges ProcessStatusRules.CalendarsRead names. Over 400 random
        // histories (meetings scheduled, decisions of every outcome, new concept versions, extensions, publication, time
        // passing), the lights, reasons and next step with only those calendars equal those with every college's.
        var random = new Random(19);
        var outcomes = Enum.GetValues<DecisionOutcome>();
        var compared = 0;
        var asked = 0;
        var skipped = 0;
        var refused = 0;
        for (var round = 0; round < 400; round++)
        {
            var s = new Scenario();
            var p = s.Start(window: random.Next(3) == 0 ? null : new DateOnly(2024, 8, 5).AddDays(7 * random.Next(6)));
            for (var step = 0; step < random.Next(1, 25); step++)
            {
                var code = p.Items[random.Next(p.Items.Count)].MunicipalityCode;
                try
                {
                    switch (random.Next(10))
                    {
                        case < 3:
                            s.ScheduleOn(p, code, new DateOnly(2024, 8, 6).AddDays(random.Next(50)));
                            break;
                        case < 6:
                            // A decision on the item's meeting day: the clock goes there first (never back).
                            if (p.Items.First(i => i.MunicipalityCode == code).MeetingStartsAt is { } startsAt)
                                s.AdvanceTo(startsAt.AddHours(random.Next(1, 6)));
                            s.Decide(p, code, outcomes[random.Next(outcomes.Length)], text: random.Next(4) == 0 ? "Het college besluit anders." : null, reason: "Aangepast.");
                            break;
                        case 6:
                            s.Workflow.ReviseConcept(p, $"Het college besluit in te stemmen, versie {step}.", null, "Nieuwe versie", Scenario.Coordinator, s.Now);
                            break;
                        case 7:
                            s.Workflow.ExtendDeadline(p, Deadline.EndOfDay(Amsterdam.DateOf(p.DeadlineAt).AddDays(random.Next(1, 30))), "Meer tijd nodig.", Scenario.Coordinator, s.Now);
                            break;
                        case 8:
                            s.Workflow.Publish(p, null, Scenario.Coordinator, s.Now);
                            break;
                        default:
                            s.AdvanceTo(s.Now.AddHours(random.Next(1, 24 * 10)));
                            break;
                    }
                }
                catch (DomainException)
                {
                    // A refused command changes nothing; the history goes on.
                    refused++;
                }
                var calendar = new Dictionary<string, IReadOnlyList<DateTimeOffset>>();
                foreach (var college in p.Items.Select(i => i.MunicipalityCode))
                {
                    var meetings = Enumerable.Range(0, 10).Select(w => Amsterdam.At(new DateOnly(2024, 8, 6).AddDays(7 * w), new TimeOnly(10, 0)))
                        .Where(m => m > s.Now && random.Next(3) > 0).ToList();
                    if (meetings.Count > 0)
                        calendar[college] = meetings;
                }
                var definition = s.Workflow.DefinitionOf(p);
                var facts = ProcessFacts.Of(p);
                var read = ProcessStatusRules.CalendarsRead(definition, facts, s.Now).ToHashSet();
                asked += read.Count;
                skipped += p.Items.Count - read.Count;
                var only = calendar.Where(kv => read.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
                var whole = ProcessStatusRules.Of(definition, facts, calendar, s.Now);
                var fromRead = ProcessStatusRules.Of(definition, facts, only, s.Now);
                Assert.That(fromRead.Colleges.Select(c => (c.Municipality, c.Light, string.Join(";", c.Reasons.Select(r => r.Code)))),
                    Is.EqualTo(whole.Colleges.Select(c => (c.Municipality, c.Light, string.Join(";", c.Reasons.Select(r => r.Code))))), $"round {round}, step {step}");
                Assert.That((fromRead.Light, fromRead.Next), Is.EqualTo((whole.Light, whole.Next)), $"round {round}, step {step}");
                compared++;
            }
        }
        // The histories reach both kinds of college: those whose calendar counts and those whose light the process decides.
        Assert.Multiple(() =>
        {
            Assert.That(compared, Is.GreaterThan(1000));
            Assert.That(asked, Is.GreaterThan(0), "colleges whose calendar counts");
            Assert.That(skipped, Is.GreaterThan(0), "colleges whose light the process decides");
            Assert.That(refused, Is.LessThan(compared / 2), "most commands of the histories are given");
        });
    }
}
