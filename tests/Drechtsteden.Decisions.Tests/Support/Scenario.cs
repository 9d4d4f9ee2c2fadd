using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;
using Microsoft.Extensions.Time.Testing;

namespace Drechtsteden.Decisions.Tests.Support;

/// <summary>The Drechtsteden region, the shipped workflow definitions and a fake clock: the stage for the rules.</summary>
public sealed class Scenario
{
    public static readonly string[] Codes = ["GM0482", "GM0505", "GM0523", "GM0531", "GM0590", "GM0610", "GM0642"];

    public static readonly Region Drechtsteden = new("drechtsteden", "Drechtsteden", Codes);

    public static readonly Actor Coordinator = new("coordinator", "Regiecoördinator", Role.Coordinator);

    private static readonly Lazy<WorkflowDefinitionSet> Shipped = new(() => LoadDefinitions(WorkflowFolder));

    public Scenario(DateTimeOffset? now = null)
    {
        Clock = new FakeTimeProvider(now ?? new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero));
        Workflow = new DecisionWorkflow(Shipped.Value, new WorkflowEngine<ProcessContext>(ProcessBlocks.Create()));
    }

    public static string WorkflowFolder => Path.Combine(AppContext.BaseDirectory, "workflows");

    public FakeTimeProvider Clock { get; }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public DecisionWorkflow Workflow { get; }

    public static Actor Secretary(string code) => new($"secretary-{code}", $"Secretaris {code}", Role.Secretary, code);

    public static Actor College(string code) => new($"college-{code}", $"College {code}", Role.College, code);

    public static Actor Griffier(string code) => new($"griffier-{code}", $"Griffier {code}", Role.Griffier, code);

    public static WorkflowDefinitionReader<ProcessContext> Reader() =>
        new(File.ReadAllText(Path.Combine(WorkflowFolder, "workflow.schema.json")), ProcessBlocks.Create());

    public static WorkflowDefinitionSet LoadDefinitions(string folder)
    {
        var reader = Reader();
        var set = new WorkflowDefinitionSet();
        foreach (var file in Directory.GetFiles(folder, "*.workflow.json"))
            set.Add(reader.Read(Path.GetFileName(file), File.ReadAllText(file)));
        return set;
    }

    /// <summary>A meeting of the college on a date at 10:00 Amsterdam time.</summary>
    public static Meeting MeetingOn(string code, DateOnly date, int hour = 10) =>
        new(Guid.NewGuid(), code, Amsterdam.At(date, new TimeOnly(hour, 0)));

    public DecisionProcess Start(
        string concept = "Het college besluit in te stemmen met de doorontwikkeling van de bestuurlijke samenwerking.",
        DateOnly? deadline = null, string[]? participants = null, DateOnly? window = null, string? definitionId = null, string? councilLetter = null)
    {
        var command = new StartProcess("Doorontwikkeling bestuurlijke samenwerking Drechtsteden", "2023-0080716", concept, null,
            deadline ?? new DateOnly(2024, 9, 10), null, window, participants ?? Codes, DefinitionId: definitionId, CouncilLetter: councilLetter);
        return Workflow.Start(command, Drechtsteden, Coordinator, Now).Process;
    }

    /// <summary>Schedules the item on a meeting and moves the clock to that meeting.</summary>
    public Meeting ScheduleOn(DecisionProcess process, string code, DateOnly date)
    {
        var meeting = MeetingOn(code, date);
        Workflow.Schedule(process, code, meeting, Secretary(code), Now);
        return meeting;
    }

    public void AdvanceTo(DateTimeOffset instant)
    {
        if (instant > Now)
            Clock.SetUtcNow(instant);
    }

    public ProcessOutcome Decide(DecisionProcess process, string code, DecisionOutcome outcome, string? text = null, string? reason = null, int? version = null) =>
        Workflow.RecordDecision(process, code, new RecordDecision(outcome, version ?? process.CurrentConcept.Number, null, text, reason), College(code), Now);

    /// <summary>Every college schedules on 3 September and adopts the current concept.</summary>
    public void AllAdopt(DecisionProcess process, DateOnly? on = null)
    {
        var date = on ?? new DateOnly(2024, 9, 3);
        foreach (var code in process.Items.Where(i => i.State != "Decided").Select(i => i.MunicipalityCode).ToList())
            ScheduleOn(process, code, date);
        AdvanceTo(Amsterdam.At(date, new TimeOnly(12, 0)));
        foreach (var code in process.Items.Where(i => i.State == "Scheduled").Select(i => i.MunicipalityCode).ToList())
            Decide(process, code, DecisionOutcome.Adopted);
    }
}

/// <summary>The workflow's commands with their parameters spelled out, as the tests of the rules write them.</summary>
public static class WorkflowCommandsForTests
{
    public static ProcessOutcome Schedule(this DecisionWorkflow workflow, DecisionProcess process, string code, Meeting? meeting, Actor actor, DateTimeOffset now) =>
        workflow.Execute(process, new ScheduleItem(meeting?.Id) { Municipality = code }, actor, now, meeting);

    public static ProcessOutcome RecordDecision(this DecisionWorkflow workflow, DecisionProcess process, string code, RecordDecision decision, Actor actor, DateTimeOffset now) =>
        workflow.Execute(process, decision with { Municipality = code }, actor, now);

    public static ProcessOutcome ReviseConcept(this DecisionWorkflow workflow, DecisionProcess process, string? text, string? documentUrl, string? note, Actor actor, DateTimeOffset now) =>
        workflow.Execute(process, new ReviseConcept(text, documentUrl, note), actor, now);

    public static ProcessOutcome ExtendDeadline(this DecisionWorkflow workflow, DecisionProcess process, Deadline deadline, string? reason, Actor actor, DateTimeOffset now) =>
        workflow.Execute(process, new ExtendDeadline(deadline.Date, deadline.Date is null ? deadline.Instant : null, reason), actor, now);

    public static ProcessOutcome Publish(this DecisionWorkflow workflow, DecisionProcess process, DateTimeOffset? at, Actor actor, DateTimeOffset now) =>
        workflow.Execute(process, new Publish(at), actor, now);

    public static ProcessOutcome ConfirmCouncil(this DecisionWorkflow workflow, DecisionProcess process, string code, DateOnly? informedOn, Actor actor, DateTimeOffset now, string? link = null) =>
        workflow.Execute(process, new ConfirmCouncil(informedOn, link) { Municipality = code }, actor, now);

    public static ProcessOutcome Cancel(this DecisionWorkflow workflow, DecisionProcess process, string? reason, Actor actor, DateTimeOffset now) =>
        workflow.Execute(process, new CancelProcess(reason), actor, now);

    /// <summary>Fires the definition timer that fires <paramref name="trigger"/>, as its due instant would.</summary>
    public static ProcessOutcome FireTimerTrigger(this DecisionWorkflow workflow, DecisionProcess process, string? code, string trigger, DateTimeOffset now) =>
        workflow.FireTimer(process, workflow.DefinitionOf(process).Timers.First(t => t.Trigger == trigger).Id, code, now, "test");
}
