using Drechtsteden.Decisions.Input;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Tests.Workflows;

/// <summary>The engine on Stateless, the definition's say over the host, and the limits of input.</summary>
public sealed class EngineTests
{
    private static readonly DateOnly Sept10 = new(2024, 9, 10);

    [Test]
    public void Entering_Overdue_sends_the_escalation_and_every_extension_arms_the_next_one()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);
        for (var round = 0; round < 3; round++)
        {
            s.AdvanceTo(process.DeadlineAt);
            var escalated = s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", s.Now);
            Assert.That(process.State, Is.EqualTo("Overdue"));
            Assert.That(escalated.Notices.Select(n => (n.Notification, n.Recipient)), Is.EqualTo(new[] { ("deadline-escalation", Role.Coordinator) }));

            s.AdvanceTo(s.Now.AddDays(1));
            s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(Amsterdam.DateOf(s.Now).AddDays(14)), "Nog twee weken", Scenario.Coordinator, s.Now);
            Assert.That(process.State, Is.EqualTo("Running"));
            Assert.That(s.Workflow.DesiredTimers(process).Single(t => t.TimerId == "deadline").DueAt, Is.EqualTo(process.DeadlineAt));
        }
    }

    [Test]
    public void A_concept_revised_after_the_deadline_of_a_synchronized_process_makes_it_overdue_at_once()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);
        s.AllAdopt(process);
        Assert.That(process.State, Is.EqualTo("Synchronized"));
        s.AdvanceTo(Deadline.EndOfDay(Sept10).Instant.AddDays(1));

        var outcome = s.Workflow.ReviseConcept(process, "Een nieuwe tekst.", null, "Na de termijn", Scenario.Coordinator, s.Now);

        Assert.That(process.State, Is.EqualTo("Overdue"), "not Running past its deadline with no escalation left to come");
        Assert.That(outcome.Notices.Select(n => n.Notification), Has.Member("deadline-escalation"));
    }

    [Test]
    public void What_a_user_may_do_comes_from_Stateless_and_is_named_in_the_host_vocabulary()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505", "GM0590"]);

        Assert.That(s.Workflow.PermittedCommands(process, "GM0505", Scenario.Secretary("GM0505"), s.Now), Is.EqualTo(new[] { WorkflowCommands.Schedule }));
        Assert.That(s.Workflow.PermittedCommands(process, "GM0505", Scenario.Secretary("GM0590"), s.Now), Is.Empty, "another municipality's item");
        Assert.That(s.Workflow.PermittedCommands(process, "GM0505", Scenario.College("GM0505"), s.Now), Is.Empty, "nothing to decide yet");
        s.ScheduleOn(process, "GM0505", new DateOnly(2024, 9, 3));
        s.AdvanceTo(new DateTimeOffset(2024, 9, 3, 12, 0, 0, TimeSpan.Zero));
        Assert.That(s.Workflow.PermittedCommands(process, "GM0505", Scenario.College("GM0505"), s.Now),
            Is.EquivalentTo(new[] { WorkflowCommands.Decide, WorkflowCommands.Defer }), "input still to be given does not hide a command");
    }

    [Test]
    public void One_shared_machine_per_definition_fires_many_processes_at_once_on_many_threads()
    {
        var s = new Scenario();
        var processes = Enumerable.Range(0, 64).Select(_ => s.Start(participants: ["GM0505"])).ToList();
        var meeting = Scenario.MeetingOn("GM0505", new DateOnly(2024, 9, 3));

        Parallel.ForEach(processes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, p =>
        {
            for (var i = 0; i < 50; i++)
                s.Workflow.Schedule(p, "GM0505", meeting, Scenario.Secretary("GM0505"), s.Now);
        });

        Assert.That(processes.Select(p => p.Item("GM0505").State), Is.All.EqualTo("Scheduled"));
        Assert.That(processes.Select(p => p.Revision), Is.All.EqualTo(50));
    }

    [Test]
    public void The_definition_names_who_may_start_and_which_state_lifts_the_embargo()
    {
        var definition = Scenario.LoadDefinitions(Scenario.WorkflowFolder).Latest("synchronized-college-decision");

        Assert.That(definition.Start.Roles, Is.EqualTo(new[] { "Coordinator" }));
        Assert.That(definition.Process.States.Where(st => st.EmbargoLifted).Select(st => st.Name), Is.EqualTo(new[] { "Published", "CouncilsInformed" }));
        Assert.That(definition.Process.States.Where(st => st.RevealsDecisions).Select(st => st.Name), Is.EquivalentTo(new[] { "Diverged", "Synchronized" }),
            "the states only the engine's evaluation of the decisions leads to");
        Assert.That(definition.EmbargoedProcessState("Diverged"), Is.EqualTo("Running"));
        Assert.That(definition.EmbargoedProcessState("Overdue"), Is.EqualTo("Overdue"), "a passed deadline says nothing about what was decided");
        Assert.That(definition.TriggerFor(WorkflowCommands.Schedule), Is.EqualTo("Schedule"));
        Assert.That(definition.Item.Transitions.Where(t => t.Trigger == "Schedule").Select(t => t.Audit), Is.EqualTo(new[] { "item.scheduled", "item.rescheduled" }));
    }

    [Test]
    public void Version_3_of_the_default_definition_still_reads_and_offers_no_target_week()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Workflows", "Legacy", "synchronized-college-decision.v3.json"));

        var v3 = Scenario.Reader().Read("synchronized-college-decision.workflow.json", json);

        Assert.That(v3.Version, Is.EqualTo(3));
        Assert.That(v3.Commands.ContainsKey(WorkflowCommands.PlanTargetWeek), Is.False, "processes started on version 3 stay on it: the synchronous week came with version 4");
    }

    [Test]
    public void Version_2_of_the_default_definition_still_reads_with_the_defaults_it_predates()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Workflows", "Legacy", "synchronized-college-decision.v2.json"));

        var v2 = Scenario.Reader().Read("synchronized-college-decision.workflow.json", json);

        Assert.That(v2.Version, Is.EqualTo(2));
        Assert.That(v2.IsEmbargoLifted("Published"), Is.True, "the final state the publish command leads to");
        Assert.That(v2.IsEmbargoLifted("PublicationPlanned"), Is.False);
        Assert.That(v2.Process.States.Where(st => st.RevealsDecisions).Select(st => st.Name), Is.EquivalentTo(new[] { "Diverged", "Synchronized" }));
        // Every command whose default trigger version 2 has; planTargetWeek came with version 4 and confirmCouncil with
        // version 5, and neither is offered on it.
        Assert.That(v2.Commands, Is.EquivalentTo(WorkflowCommands.All.Where(c => c is not (WorkflowCommands.PlanTargetWeek or WorkflowCommands.ConfirmCouncil))
            .ToDictionary(c => c, WorkflowCommands.DefaultTrigger)));
        Assert.That(v2.Process.Transitions.Where(t => t.Trigger == "DeadlinePassed").Select(t => t.Audit), Is.EqualTo(new[] { "process.escalated" }));
        Assert.That(v2.Start.Roles, Is.EqualTo(new[] { "Coordinator" }));
    }

    [Test]
    public void A_field_longer_than_its_limit_is_bad_input_naming_the_field_and_the_limit()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);

        var e = Assert.Throws<DomainException>(() => s.Workflow.Cancel(process, new string('x', Limits.Reason + 1), Scenario.Coordinator, s.Now))!;

        Assert.That((e.Kind, e.Code, e.Field, e.Data["limit"]), Is.EqualTo((DomainErrorKind.BadInput, CommandInput.TooLong, "reason", (object)Limits.Reason)));
        Assert.That(process.State, Is.EqualTo("Running"));
        s.Workflow.Cancel(process, new string('x', Limits.Reason), Scenario.Coordinator, s.Now);
        Assert.That(process.State, Is.EqualTo("Cancelled"), "the longest value the field takes is accepted");
        var url = Assert.Throws<DomainException>(() => s.Workflow.ReviseConcept(s.Start(), "tekst", "ftp://example.org/x", null, Scenario.Coordinator, s.Now))!;
        Assert.That((url.Kind, url.Field), Is.EqualTo((DomainErrorKind.BadInput, "documentUrl")));
    }
}
