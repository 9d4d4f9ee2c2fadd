using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>What puts a process's synchronization at risk, derived from its state and the colleges' calendars.</summary>
public static class ProcessRisks
{
    /// <summary>
    /// The item still has to be scheduled (its college may schedule it, and it is on no meeting), the process is open
    /// and its deadline ahead, and the college has no planned meeting left before the deadline.
    /// </summary>
    public static bool HasNoMeetingLeft(WorkflowDefinition definition, DecisionProcess process, AgendaItem item, bool collegeHasMeetingBeforeDeadline, DateTimeOffset now) =>
        !collegeHasMeetingBeforeDeadline && item.MeetingId is null && process.DeadlineAt > now && !definition.Process.IsFinal(process.State)
        && SchedulableStates(definition).Contains(item.State);

    /// <summary>The item states from which the definition's schedule command can be given.</summary>
    public static IReadOnlyList<string> SchedulableStates(WorkflowDefinition definition) =>
        definition.Commands.TryGetValue(WorkflowCommands.Schedule, out var trigger)
            ? [.. definition.Item.Transitions.Where(t => t.Trigger == trigger).SelectMany(t => t.From).Distinct(StringComparer.Ordinal)]
            : [];
}
