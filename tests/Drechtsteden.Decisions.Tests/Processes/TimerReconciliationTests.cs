using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Tests.Processes;

/// <summary>Timers are a function of state: the stored rows are made to match what the process calls for now.</summary>
public sealed class TimerReconciliationTests
{
    private static readonly DateOnly Sept10 = new(2024, 9, 10);

    private static List<StoredTimer> Store(IEnumerable<TimerInstance> instances, TimerStatus status = TimerStatus.Scheduled)
    {
        long id = 0;
        return instances.Select(i => new StoredTimer(++id, i.Key, i.DueAt, status)).ToList();
    }

    [Test]
    public void An_extension_after_the_escalation_fired_arms_a_new_escalation_at_the_new_deadline()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);
        s.AdvanceTo(Deadline.EndOfDay(Sept10).Instant);
        var fired = Store(s.Workflow.DesiredTimers(process).Where(t => t.TimerId == "deadline"), TimerStatus.Fired);
        s.Workflow.FireTimerTrigger(process, null, "DeadlinePassed", s.Now);
        Assert.That(process.State, Is.EqualTo("Overdue"));

        s.AdvanceTo(s.Now.AddHours(12));
        s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(new DateOnly(2024, 10, 15)), "Reces liep uit", Scenario.Coordinator, s.Now);
        var changes = TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), fired, s.Now);

        var escalation = changes.Create.Single(t => t.TimerId == "deadline");
        Assert.That(escalation.DueAt, Is.EqualTo(Deadline.EndOfDay(new DateOnly(2024, 10, 15)).Instant));
        Assert.That(changes.Create.Where(t => t.TimerId == "schedule-reminder").Select(t => t.DueAt).Distinct(),
            Is.EqualTo(new[] { -21, -14, -7 }.Select(d => Amsterdam.At(new DateOnly(2024, 10, 15).AddDays(d), new TimeOnly(9, 0)))),
            "the reminders are planned again for the new deadline (none of them has passed)");
        Assert.That(changes.Cancel, Is.Empty, "the fired escalation stays in history");
    }

    [Test]
    public void A_scheduled_timer_still_called_for_is_kept_and_one_no_longer_called_for_is_cancelled()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505", "GM0590"]);
        var stored = Store(s.Workflow.DesiredTimers(process));

        Assert.That(TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), stored, s.Now).IsEmpty, Is.True, "nothing changed, nothing to do");

        s.ScheduleOn(process, "GM0505", new DateOnly(2024, 9, 3));
        var changes = TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), stored, s.Now);
        var cancelled = stored.Where(t => changes.Cancel.Contains(t.Id)).Select(t => t.Key).ToList();
        Assert.That(cancelled, Is.EquivalentTo(new[] { "schedule-reminder|GM0505|-21", "schedule-reminder|GM0505|-14", "schedule-reminder|GM0505|-7" }));
        Assert.That(changes.Create.Select(t => t.Key), Is.EqualTo(new[] { "decision-reminder|GM0505|1" }));
    }

    [Test]
    public void A_moved_instant_is_a_new_timer_and_the_old_one_is_cancelled()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);
        var stored = Store(s.Workflow.DesiredTimers(process));

        s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(new DateOnly(2024, 9, 17)), "Een week later", Scenario.Coordinator, s.Now);
        var changes = TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), stored, s.Now);

        Assert.That(changes.Cancel, Has.Count.EqualTo(stored.Count), "every instant moved");
        Assert.That(changes.Create.Select(t => t.Key), Is.EquivalentTo(stored.Select(t => t.Key)));
    }

    [Test]
    public void A_reminder_whose_instant_passed_before_it_was_called_for_is_not_sent_after_the_fact_but_an_escalation_is()
    {
        var s = new Scenario(new DateTimeOffset(2024, 9, 9, 12, 0, 0, TimeSpan.Zero));
        var process = s.Start(participants: ["GM0505"]);

        var changes = TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), [], s.Now);

        Assert.That(changes.Create.Select(t => t.TimerId), Is.EqualTo(new[] { "deadline" }), "21, 14 and 7 days before the deadline have all passed");
        var late = TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), [], Deadline.EndOfDay(Sept10).Instant.AddMinutes(5));
        Assert.That(late.Create.Select(t => t.TimerId), Is.EqualTo(new[] { "deadline" }), "a timer that fires a trigger is created even when late, so the state catches up");
    }

    [Test]
    public void A_timer_that_fired_or_was_parked_at_an_instant_is_never_created_again_for_it_but_a_cancelled_one_is()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);
        var desired = s.Workflow.DesiredTimers(process);

        Assert.That(TimerReconciliation.Reconcile(desired, Store(desired, TimerStatus.Fired), s.Now).Create, Is.Empty);
        Assert.That(TimerReconciliation.Reconcile(desired, Store(desired, TimerStatus.Parked), s.Now).Create, Is.Empty);
        Assert.That(TimerReconciliation.Reconcile(desired, Store(desired, TimerStatus.Cancelled), s.Now).Create, Has.Count.EqualTo(desired.Count),
            "an item that is unscheduled again gets its reminders back");
    }

    [Test]
    public void Instants_are_compared_as_PostgreSQL_stores_them()
    {
        var s = new Scenario();
        var process = s.Start(participants: ["GM0505"]);
        var stored = s.Workflow.DesiredTimers(process).Select((t, i) => new StoredTimer(i, t.Key, Instants.ToMicroseconds(t.DueAt.AddTicks(7)), TimerStatus.Scheduled)).ToList();

        Assert.That(TimerReconciliation.Reconcile(s.Workflow.DesiredTimers(process), stored, s.Now).IsEmpty, Is.True);
    }
}
