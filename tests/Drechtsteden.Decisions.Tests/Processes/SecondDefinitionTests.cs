using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;

namespace Drechtsteden.Decisions.Tests.Processes;

/// <summary>
/// The engine is generic: the council-view definition (other states, another completion rule, other timers) runs
/// through the same engine and the same building blocks.
/// </summary>
public sealed class SecondDefinitionTests
{
    [Test]
    public void Council_views_complete_when_every_municipality_responded_whatever_the_outcome()
    {
        var s = new Scenario();
        var process = s.Start(definitionId: "council-view", participants: ["GM0505", "GM0590"]);
        Assert.That(process.State, Is.EqualTo("Open"));
        Assert.That(process.Items.Select(i => i.State), Is.All.EqualTo("Requested"));

        s.ScheduleOn(process, "GM0505", new DateOnly(2024, 9, 3));
        s.ScheduleOn(process, "GM0590", new DateOnly(2024, 9, 3));
        Assert.That(process.Items.Select(i => i.State), Is.All.EqualTo("OnAgenda"));
        s.AdvanceTo(new DateTimeOffset(2024, 9, 3, 12, 0, 0, TimeSpan.Zero));
        s.Decide(process, "GM0505", DecisionOutcome.Adopted);
        Assert.That(process.State, Is.EqualTo("Open"));
        s.Decide(process, "GM0590", DecisionOutcome.Rejected, reason: "Begroting te hoog");

        Assert.That(process.State, Is.EqualTo("Complete"));
        Assert.That(process.Items.Select(i => i.State), Is.All.EqualTo("Responded"));
    }

    [Test]
    public void Triggers_the_second_definition_lacks_are_refused_clearly()
    {
        var s = new Scenario();
        var process = s.Start(definitionId: "council-view");

        var error = Assert.Throws<DomainException>(() => s.Workflow.ReviseConcept(process, "nieuw", null, null, Scenario.Coordinator, s.Now))!;

        Assert.That(error.Code, Is.EqualTo("command-not-supported"));
    }

    [Test]
    public void Its_term_ends_in_Expired_not_Overdue()
    {
        var s = new Scenario();
        var process = s.Start(definitionId: "council-view");
        s.AdvanceTo(process.DeadlineAt);

        s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", s.Now);

        Assert.That(process.State, Is.EqualTo("Expired"));
    }
}
