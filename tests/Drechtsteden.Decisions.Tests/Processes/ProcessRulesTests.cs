using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Tests.Processes;

/// <summary>The rules of "The process" (PRODUCT.md), run through the shipped definition on a fake clock.</summary>
public sealed class ProcessRulesTests
{
    private const string Dordrecht = "GM0505";
    private const string Papendrecht = "GM0590";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    private Scenario _s = null!;

    [SetUp]
    public void NewScenario() => _s = new Scenario();

    private static DomainException Refused(Action command) => Assert.Throws<DomainException>(() => command())!;

    [Test]
    public void Starting_creates_one_unscheduled_item_per_participating_college_on_concept_version_1()
    {
        var process = _s.Start();

        Assert.That(process.State, Is.EqualTo("Running"));
        Assert.That(process.DefinitionId, Is.EqualTo("synchronized-college-decision"));
        Assert.That(process.DefinitionVersion, Is.EqualTo(5), "the shipped definition's version");
        Assert.That(process.Items.Select(i => i.MunicipalityCode), Is.EquivalentTo(Scenario.Codes));
        Assert.That(process.Items.Select(i => i.State), Is.All.EqualTo("Unscheduled"));
        Assert.That(process.CurrentConcept.Number, Is.EqualTo(1));
    }

    [Test]
    public void Starting_refuses_a_municipality_outside_the_region_a_past_deadline_and_a_missing_title()
    {
        Assert.That(Refused(() => _s.Start(participants: ["GM0505", "GM0363"])).Field, Is.EqualTo("participants"));
        Assert.That(Refused(() => _s.Start(deadline: new DateOnly(2024, 7, 31))).Code, Is.EqualTo("deadline-in-past"));
        var noTitle = new StartProcess(" ", "2023-1", "tekst", null, new DateOnly(2024, 9, 10), null, Participants: ["GM0505"]);
        Assert.That(Refused(() => _s.Workflow.Start(noTitle, Scenario.Drechtsteden, Scenario.Coordinator, _s.Now)).Field, Is.EqualTo("title"));
    }

    [Test]
    public void Only_a_coordinator_starts_a_process()
    {
        var command = new StartProcess("T", "R", "tekst", null, new DateOnly(2024, 9, 10), null, Participants: ["GM0505"]);
        Assert.That(Refused(() => _s.Workflow.Start(command, Scenario.Drechtsteden, Scenario.Secretary(Dordrecht), _s.Now)).Kind, Is.EqualTo(DomainErrorKind.Forbidden));
    }

    [Test]
    public void A_secretary_schedules_on_a_coming_meeting_of_the_own_college_before_the_deadline()
    {
        var process = _s.Start();

        var meeting = _s.ScheduleOn(process, Dordrecht, Sept3);

        var item = process.Item(Dordrecht);
        Assert.That(item.State, Is.EqualTo("Scheduled"));
        Assert.That(item.MeetingId, Is.EqualTo(meeting.Id));
    }

    [Test]
    public void Scheduling_is_refused_on_another_colleges_meeting_a_past_meeting_a_cancelled_one_and_one_after_the_deadline()
    {
        var process = _s.Start();
        var secretary = Scenario.Secretary(Dordrecht);

        Assert.That(Refused(() => _s.Workflow.Schedule(process, Dordrecht, Scenario.MeetingOn(Papendrecht, Sept3), secretary, _s.Now)).Code, Is.EqualTo("meeting-other-college"));
        Assert.That(Refused(() => _s.Workflow.Schedule(process, Dordrecht, Scenario.MeetingOn(Dordrecht, new DateOnly(2024, 7, 30)), secretary, _s.Now)).Code, Is.EqualTo("meeting-in-past"));
        Assert.That(Refused(() => _s.Workflow.Schedule(process, Dordrecht, Scenario.MeetingOn(Dordrecht, new DateOnly(2024, 9, 17)), secretary, _s.Now)).Code, Is.EqualTo("meeting-after-deadline"));
        var cancelled = Scenario.MeetingOn(Dordrecht, Sept3);
        cancelled.Cancel("zomerreces", _s.Now);
        Assert.That(Refused(() => _s.Workflow.Schedule(process, Dordrecht, cancelled, secretary, _s.Now)).Code, Is.EqualTo("meeting-cancelled"));
        Assert.That(process.Item(Dordrecht).State, Is.EqualTo("Unscheduled"));
    }

    [Test]
    public void A_meeting_on_the_deadline_day_itself_is_still_in_time()
    {
        var process = _s.Start();

        _s.Workflow.Schedule(process, Dordrecht, Scenario.MeetingOn(Dordrecht, new DateOnly(2024, 9, 10), hour: 23), Scenario.Secretary(Dordrecht), _s.Now);

        Assert.That(process.Item(Dordrecht).State, Is.EqualTo("Scheduled"));
    }

    [Test]
    public void A_meeting_before_the_synchronization_window_is_accepted_with_a_warning()
    {
        var process = _s.Start(window: new DateOnly(2024, 9, 1));

        var result = _s.Workflow.Schedule(process, Dordrecht, Scenario.MeetingOn(Dordrecht, new DateOnly(2024, 8, 27)), Scenario.Secretary(Dordrecht), _s.Now);

        Assert.That(process.Item(Dordrecht).State, Is.EqualTo("Scheduled"));
        Assert.That(result.Warnings, Has.One.Contains("synchronization window"));
    }

    [Test]
    public void A_secretary_of_Papendrecht_can_never_schedule_for_Dordrecht_and_a_college_cannot_schedule_at_all()
    {
        var process = _s.Start();
        var meeting = Scenario.MeetingOn(Dordrecht, Sept3);

        Assert.That(Refused(() => _s.Workflow.Schedule(process, Dordrecht, meeting, Scenario.Secretary(Papendrecht), _s.Now)).Kind, Is.EqualTo(DomainErrorKind.Forbidden));
        Assert.That(Refused(() => _s.Workflow.Schedule(process, Dordrecht, meeting, Scenario.College(Dordrecht), _s.Now)).Kind, Is.EqualTo(DomainErrorKind.Forbidden));
    }

    [Test]
    public void A_decision_is_recorded_only_once_the_meeting_date_has_come()
    {
        var process = _s.Start();
        _s.ScheduleOn(process, Dordrecht, Sept3);

        Assert.That(Refused(() => _s.Decide(process, Dordrecht, DecisionOutcome.Adopted)).Code, Is.EqualTo("meeting-not-held"));

        _s.AdvanceTo(Amsterdam.StartOfDay(Sept3));
        _s.Decide(process, Dordrecht, DecisionOutcome.Adopted);
        Assert.That(process.Item(Dordrecht).State, Is.EqualTo("Decided"));
    }

    [Test]
    public void Adopting_the_concept_with_other_whitespace_is_identical()
    {
        var process = _s.Start(concept: "Het college besluit:\n1. in te stemmen.");
        _s.ScheduleOn(process, Dordrecht, Sept3);
        _s.AdvanceTo(Amsterdam.StartOfDay(Sept3));

        _s.Decide(process, Dordrecht, DecisionOutcome.AdoptedWithAmendments, text: "  Het college   besluit:\r\n1.\tin te stemmen. ");

        Assert.That(process.IsIdentical(process.Item(Dordrecht)), Is.True);
        Assert.That(process.State, Is.EqualTo("Running"));
    }

    [Test]
    public void An_amended_text_makes_the_process_diverged_with_a_word_diff()
    {
        var process = _s.Start(concept: "Het college besluit in te stemmen met het voorstel.");
        _s.ScheduleOn(process, Dordrecht, Sept3);
        _s.AdvanceTo(Amsterdam.StartOfDay(Sept3));

        _s.Decide(process, Dordrecht, DecisionOutcome.AdoptedWithAmendments, text: "Het college besluit niet in te stemmen met het gewijzigde voorstel.");

        var item = process.Item(Dordrecht);
        Assert.That(process.State, Is.EqualTo("Diverged"));
        Assert.That(process.IsDiverged(item), Is.True);
        var diff = process.DiffOf(item)!;
        Assert.That(diff.Where(s => s.Kind == DiffKind.Inserted).Select(s => s.Text.Trim()), Is.EquivalentTo(new[] { "niet", "gewijzigde" }));
        Assert.That(diff.Where(s => s.Kind == DiffKind.Deleted), Is.Empty);
    }

    [Test]
    public void A_rejection_makes_the_process_diverged()
    {
        var process = _s.Start();
        _s.ScheduleOn(process, Dordrecht, Sept3);
        _s.AdvanceTo(Amsterdam.StartOfDay(Sept3));

        _s.Decide(process, Dordrecht, DecisionOutcome.Rejected, reason: "Geen draagvlak");

        Assert.That(process.State, Is.EqualTo("Diverged"));
    }

    [Test]
    public void Decisions_need_their_text_or_reason_and_an_existing_concept_version()
    {
        var process = _s.Start();
        _s.ScheduleOn(process, Dordrecht, Sept3);
        _s.AdvanceTo(Amsterdam.StartOfDay(Sept3));

        Assert.That(Refused(() => _s.Decide(process, Dordrecht, DecisionOutcome.AdoptedWithAmendments)).Code, Is.EqualTo("adopted-text-required"));
        Assert.That(Refused(() => _s.Decide(process, Dordrecht, DecisionOutcome.Deferred)).Code, Is.EqualTo("deferral-reason-required"));
        Assert.That(Refused(() => _s.Decide(process, Dordrecht, DecisionOutcome.Adopted, version: 2)).Code, Is.EqualTo("concept-version-unknown"));
        Assert.That(Refused(() => _s.Decide(process, Dordrecht, DecisionOutcome.Adopted, text: "iets anders")).Code, Is.EqualTo("adopted-text-differs"));
        Assert.That(process.Item(Dordrecht).Decisions, Is.Empty);
    }

    [Test]
    public void A_deferral_sends_the_item_back_to_scheduling_and_keeps_the_reason()
    {
        var process = _s.Start();
        _s.ScheduleOn(process, Dordrecht, new DateOnly(2024, 8, 27));
        _s.AdvanceTo(Amsterdam.StartOfDay(new DateOnly(2024, 8, 27)));

        _s.Decide(process, Dordrecht, DecisionOutcome.Deferred, reason: "Eerst bespreken in de raadscommissie");

        var item = process.Item(Dordrecht);
        Assert.That(item.State, Is.EqualTo("Deferred"));
        Assert.That(item.MeetingId, Is.Null);
        Assert.That(item.LatestDecision!.Reason, Is.EqualTo("Eerst bespreken in de raadscommissie"));
        Assert.That(process.State, Is.EqualTo("Running"), "a deferral is not a divergence");

        _s.ScheduleOn(process, Dordrecht, Sept3);
        Assert.That(item.State, Is.EqualTo("Scheduled"));
    }

    [Test]
    public void All_colleges_adopting_identically_synchronizes_the_process()
    {
        var process = _s.Start();

        _s.AllAdopt(process);

        Assert.That(process.State, Is.EqualTo("Synchronized"));
        Assert.That(process.Items.All(process.IsIdentical), Is.True);
    }

    [Test]
    public void A_revision_makes_colleges_that_decided_on_the_old_version_decide_again_and_keeps_their_history()
    {
        var process = _s.Start();
        _s.AllAdopt(process);
        Assert.That(process.State, Is.EqualTo("Synchronized"));

        _s.Workflow.ReviseConcept(process, "Het college besluit in te stemmen, met de toevoeging van een evaluatie na twee jaar.", null, "Amendement Dordrecht verwerkt", Scenario.Coordinator, _s.Now);

        Assert.That(process.CurrentConcept.Number, Is.EqualTo(2));
        Assert.That(process.Concepts, Has.Count.EqualTo(2));
        Assert.That(process.State, Is.EqualTo("Running"));
        Assert.That(process.Items.Select(i => i.State), Is.All.EqualTo("Unscheduled"));
        Assert.That(process.Items.Select(i => i.Decisions.Count), Is.All.EqualTo(1), "the decisions on version 1 stay in the history");

        _s.AllAdopt(process, new DateOnly(2024, 9, 10));
        Assert.That(process.State, Is.EqualTo("Synchronized"));
        Assert.That(process.Items.Select(i => i.LatestDecision!.ConceptVersion), Is.All.EqualTo(2));
    }

    [Test]
    public void Publication_is_possible_only_from_synchronized_and_informs_everyone_at_one_instant()
    {
        var process = _s.Start();
        Assert.That(Refused(() => _s.Workflow.Publish(process, null, Scenario.Coordinator, _s.Now)).Code, Is.EqualTo("not-allowed-in-state"));

        _s.AllAdopt(process);
        _s.Workflow.Publish(process, null, Scenario.Coordinator, _s.Now);

        Assert.That(process.State, Is.EqualTo("Published"));
        Assert.That(process.PublicationAt, Is.EqualTo(_s.Now));
        Assert.That(Refused(() => _s.ScheduleOn(process, Dordrecht, new DateOnly(2024, 9, 10))).Code, Is.EqualTo("not-allowed-in-state"),
            "published: the decisions are final, only the councils step remains (CouncilsStepTests)");
    }

    [Test]
    public void A_planned_publication_is_released_at_its_instant_and_not_before()
    {
        var process = _s.Start();
        _s.AllAdopt(process);
        var at = _s.Now.AddDays(2);

        _s.Workflow.Publish(process, at, Scenario.Coordinator, _s.Now);
        Assert.That(process.State, Is.EqualTo("PublicationPlanned"));
        Assert.That(process.PublicationAt, Is.EqualTo(at));

        _s.AdvanceTo(at.AddTicks(-1));
        Refused(() => _s.Workflow.FireTimerTrigger(process, null, "Release", _s.Now));
        _s.AdvanceTo(at);
        _s.Workflow.FireTimerTrigger(process, null, "Release", _s.Now);
        Assert.That(process.State, Is.EqualTo("Published"));
    }

    [Test]
    public void The_process_is_overdue_at_the_deadline_never_a_tick_before()
    {
        var process = _s.Start();
        _s.AdvanceTo(process.DeadlineAt.AddTicks(-1));

        Assert.That(Refused(() => _s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", _s.Now)).Code, Is.EqualTo("deadline-not-passed"));

        _s.AdvanceTo(process.DeadlineAt);
        _s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", _s.Now);
        Assert.That(process.State, Is.EqualTo("Overdue"));
    }

    [Test]
    public void Extending_an_overdue_deadline_needs_a_reason_and_a_later_date_and_reopens_the_process()
    {
        var process = _s.Start();
        _s.AdvanceTo(process.DeadlineAt);
        _s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", _s.Now);

        Assert.That(Refused(() => _s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(new DateOnly(2024, 10, 1)), " ", Scenario.Coordinator, _s.Now)).Code, Is.EqualTo("reason-required"));
        Assert.That(Refused(() => _s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(new DateOnly(2024, 9, 9)), "te laat", Scenario.Coordinator, _s.Now)).Code, Is.EqualTo("deadline-not-later"));

        _s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(new DateOnly(2024, 10, 1)), "Zomerreces liep uit", Scenario.Coordinator, _s.Now);

        Assert.That(process.State, Is.EqualTo("Running"));
        Assert.That(process.Deadline.Date, Is.EqualTo(new DateOnly(2024, 10, 1)));
        Assert.That(process.DeadlineChanges.Single().Reason, Is.EqualTo("Zomerreces liep uit"));
        Assert.That(process.DeadlineChanges.Single().OldDeadlineDate, Is.EqualTo(new DateOnly(2024, 9, 10)));
    }

    [Test]
    public void An_overdue_process_still_synchronizes_when_late_recordings_come_in()
    {
        var process = _s.Start();
        foreach (var code in Scenario.Codes)
            _s.ScheduleOn(process, code, new DateOnly(2024, 9, 10));
        _s.AdvanceTo(process.DeadlineAt);
        _s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", _s.Now);

        foreach (var code in Scenario.Codes)
            _s.Decide(process, code, DecisionOutcome.Adopted);

        Assert.That(process.State, Is.EqualTo("Synchronized"));
    }

    [Test]
    public void Cancelling_needs_a_reason_and_closes_the_process()
    {
        var process = _s.Start();
        Assert.That(Refused(() => _s.Workflow.Cancel(process, null, Scenario.Coordinator, _s.Now)).Code, Is.EqualTo("reason-required"));

        _s.Workflow.Cancel(process, "Voorstel ingetrokken", Scenario.Coordinator, _s.Now);

        Assert.That(process.State, Is.EqualTo("Cancelled"));
        Assert.That(process.CancellationReason, Is.EqualTo("Voorstel ingetrokken"));
        Assert.That(Refused(() => _s.Workflow.Cancel(process, "nogmaals", Scenario.Coordinator, _s.Now)).Code, Is.EqualTo("not-allowed-in-state"));
    }

    [Test]
    public void A_second_decision_on_a_decided_item_is_refused()
    {
        var process = _s.Start();
        _s.ScheduleOn(process, Dordrecht, Sept3);
        _s.AdvanceTo(Amsterdam.StartOfDay(Sept3));
        _s.Decide(process, Dordrecht, DecisionOutcome.Adopted);

        Assert.That(Refused(() => _s.Decide(process, Dordrecht, DecisionOutcome.Rejected)).Kind, Is.EqualTo(DomainErrorKind.Conflict));
    }

    [Test]
    public void The_UI_is_offered_only_the_triggers_the_actor_may_fire_now()
    {
        var process = _s.Start();

        Assert.That(_s.Workflow.PermittedCommands(process, Dordrecht, Scenario.College(Dordrecht), _s.Now), Is.Empty);
        Assert.That(_s.Workflow.PermittedCommands(process, null, Scenario.Coordinator, _s.Now), Is.EquivalentTo(new[] { "reviseConcept", "extendDeadline", "cancel", "planTargetWeek" }));
    }
}
