using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Time;

namespace Drechtsteden.Decisions.Tests.Processes;

/// <summary>When every timer of the default definition falls due (FakeTimeProvider; Europe/Amsterdam; Dutch holidays).</summary>
public sealed class TimerPlanTests
{
    private static DateTimeOffset Utc(string instant) => DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);

    private static List<DateTimeOffset> ScheduleReminders(DecisionProcess process, Scenario s, string code = "GM0505") =>
        TimerPlan.For(s.Workflow.DefinitionOf(process), process)
            .Where(t => t.TimerId == "schedule-reminder" && t.MunicipalityCode == code).Select(t => t.DueAt).Order().ToList();

    [Test]
    public void Schedule_reminders_come_21_14_and_7_days_before_the_deadline_at_09_00_Amsterdam_time()
    {
        var s = new Scenario();
        var process = s.Start(deadline: new DateOnly(2024, 9, 10));

        Assert.That(ScheduleReminders(process, s), Is.EqualTo(new[]
        {
            Utc("2024-08-20T07:00:00Z"), Utc("2024-08-27T07:00:00Z"), Utc("2024-09-03T07:00:00Z"),
        }));
    }

    [Test]
    public void A_reminder_on_a_weekend_moves_to_the_Friday_before()
    {
        var s = new Scenario();
        var process = s.Start(deadline: new DateOnly(2024, 9, 15)); // a Sunday: minus 7 is Sunday 8 September

        Assert.That(ScheduleReminders(process, s)[^1], Is.EqualTo(Utc("2024-09-06T07:00:00Z")));
    }

    [Test]
    public void A_reminder_on_Kings_Day_moves_to_the_day_before()
    {
        var s = new Scenario(Utc("2023-03-01T08:00:00Z"));
        var process = s.Start(deadline: new DateOnly(2023, 5, 4)); // minus 7 is Thursday 27 April 2023, King's Day

        Assert.That(ScheduleReminders(process, s)[^1], Is.EqualTo(Utc("2023-04-26T07:00:00Z")));
    }

    [Test]
    public void A_reminder_on_Ascension_Day_moves_to_the_Wednesday_before()
    {
        var s = new Scenario(Utc("2024-03-01T08:00:00Z"));
        var process = s.Start(deadline: new DateOnly(2024, 5, 16)); // minus 7 is Thursday 9 May 2024, Ascension Day

        Assert.That(ScheduleReminders(process, s)[^1], Is.EqualTo(Utc("2024-05-08T07:00:00Z")));
    }

    [Test]
    public void A_reminder_on_Boxing_Day_skips_Christmas_too()
    {
        var s = new Scenario(Utc("2024-11-01T08:00:00Z"));
        var process = s.Start(deadline: new DateOnly(2025, 1, 2)); // minus 7 is Thursday 26 December; 25 December is a holiday too

        Assert.That(ScheduleReminders(process, s)[^1], Is.EqualTo(Utc("2024-12-24T08:00:00Z")), "09:00 in winter time is 08:00 UTC");
    }

    [TestCase(2024, 11, 1, "2024-10-25T07:00:00Z", TestName = "09:00 on the Friday before the clocks go back is 07:00 UTC")]
    [TestCase(2024, 11, 4, "2024-10-28T08:00:00Z", TestName = "09:00 on the Monday after the clocks go back is 08:00 UTC")]
    [TestCase(2025, 4, 4, "2025-03-28T08:00:00Z", TestName = "09:00 on the Friday before the clocks go forward is 08:00 UTC")]
    [TestCase(2025, 4, 7, "2025-03-31T07:00:00Z", TestName = "09:00 on the Monday after the clocks go forward is 07:00 UTC")]
    public void Reminders_stay_at_09_00_local_time_across_the_clock_change(int year, int month, int day, string expected)
    {
        var s = new Scenario(Utc("2024-09-01T08:00:00Z"));
        var process = s.Start(deadline: new DateOnly(year, month, day));

        Assert.That(ScheduleReminders(process, s)[^1], Is.EqualTo(Utc(expected)));
    }

    [Test]
    public void Only_colleges_that_still_have_to_schedule_get_schedule_reminders()
    {
        var s = new Scenario();
        var process = s.Start();
        s.ScheduleOn(process, "GM0505", new DateOnly(2024, 9, 3));

        var plan = TimerPlan.For(s.Workflow.DefinitionOf(process), process);

        Assert.That(plan.Where(t => t.TimerId == "schedule-reminder").Select(t => t.MunicipalityCode).Distinct().ToList(), Has.No.Member("GM0505").And.Count.EqualTo(6));
        Assert.That(plan.Where(t => t.TimerId == "decision-reminder").Select(t => t.MunicipalityCode), Is.EqualTo(new[] { "GM0505" }));
    }

    [Test]
    public void The_decision_reminder_comes_the_working_day_after_the_meeting()
    {
        var s = new Scenario();
        var process = s.Start();
        s.ScheduleOn(process, "GM0505", new DateOnly(2024, 9, 3)); // Tuesday
        s.ScheduleOn(process, "GM0590", new DateOnly(2024, 9, 6)); // Friday

        var plan = TimerPlan.For(s.Workflow.DefinitionOf(process), process).Where(t => t.TimerId == "decision-reminder").ToDictionary(t => t.MunicipalityCode!, t => t.DueAt);

        Assert.That(plan["GM0505"], Is.EqualTo(Utc("2024-09-04T07:00:00Z")));
        Assert.That(plan["GM0590"], Is.EqualTo(Utc("2024-09-09T07:00:00Z")), "Saturday moves on to Monday");
    }

    [Test]
    public void The_escalation_is_due_at_the_deadline_instant_itself()
    {
        var s = new Scenario();
        var process = s.Start(deadline: new DateOnly(2024, 9, 10));

        var escalation = TimerPlan.For(s.Workflow.DefinitionOf(process), process).Single(t => t.TimerId == "deadline");

        Assert.That(escalation.DueAt, Is.EqualTo(process.DeadlineAt));
        Assert.That(escalation.Definition.Trigger, Is.EqualTo("DeadlinePassed"));
    }

    [Test]
    public void A_synchronized_process_has_no_timers_left_and_a_planned_publication_has_one()
    {
        var s = new Scenario();
        var process = s.Start();
        s.AllAdopt(process);
        Assert.That(TimerPlan.For(s.Workflow.DefinitionOf(process), process), Is.Empty);

        s.Workflow.Publish(process, s.Now.AddHours(3), Scenario.Coordinator, s.Now);
        var plan = TimerPlan.For(s.Workflow.DefinitionOf(process), process);
        Assert.That(plan.Single().TimerId, Is.EqualTo("publication"));
        Assert.That(plan.Single().DueAt, Is.EqualTo(s.Now.AddHours(3)));
    }

    [Test]
    public void A_process_may_override_the_reminder_offsets_when_it_is_started()
    {
        var s = new Scenario();
        var command = new StartProcess("T", "R", "tekst", null, new DateOnly(2024, 9, 10), null, Participants: ["GM0505"],
            TimerOffsets: new Dictionary<string, int[]> { ["schedule-reminder"] = [-10, -3] });
        var process = s.Workflow.Start(command, Scenario.Drechtsteden, Scenario.Coordinator, s.Now).Process;

        Assert.That(ScheduleReminders(process, s), Is.EqualTo(new[] { Utc("2024-08-30T07:00:00Z"), Utc("2024-09-06T07:00:00Z") }));
        var unknown = command with { TimerOffsets = new Dictionary<string, int[]> { ["nagging"] = [-1] } };
        Assert.That(Assert.Throws<DomainException>(() => s.Workflow.Start(unknown, Scenario.Drechtsteden, Scenario.Coordinator, s.Now))!.Field, Is.EqualTo("timerOffsets"));
    }

    [Test]
    public void An_extended_deadline_moves_the_reminders_with_it()
    {
        var s = new Scenario();
        var process = s.Start(deadline: new DateOnly(2024, 9, 10));

        s.Workflow.ExtendDeadline(process, Deadline.EndOfDay(new DateOnly(2024, 9, 24)), "reces", Scenario.Coordinator, s.Now);

        Assert.That(ScheduleReminders(process, s), Is.EqualTo(new[]
        {
            Utc("2024-09-03T07:00:00Z"), Utc("2024-09-10T07:00:00Z"), Utc("2024-09-17T07:00:00Z"),
        }));
    }
}
