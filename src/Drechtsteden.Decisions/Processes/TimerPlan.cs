using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>
/// One due instance of a definition timer: for the process, or for one college's item, at one offset. Its key
/// identifies it across re-planning, so a moved deadline moves the instance instead of making a new one.
/// </summary>
public sealed record TimerInstance(string TimerId, string? MunicipalityCode, int OffsetDays, DateTimeOffset DueAt, TimerDefinition Definition)
{
    public string Key => $"{TimerId}|{MunicipalityCode ?? "-"}|{OffsetDays}";
}

/// <summary>
/// Which timers of its definition a process has right now, and when each is due. Pure: the same process, definition
/// and clock give the same plan. A timer applies only while the process (and the item) are in its activeIn states;
/// its due instant is the anchor (deadline: the deadline's last day; meeting: the meeting's date; publication: its
/// date) plus the offset in days, at the time of day in Amsterdam, moved to a working day as the definition says.
/// Without a time of day it is the anchor's exact instant plus the offset.
/// </summary>
public static class TimerPlan
{
    public static IReadOnlyList<TimerInstance> For(WorkflowDefinition definition, DecisionProcess process)
    {
        var plan = new List<TimerInstance>();
        foreach (var timer in definition.Timers)
        {
            if (timer.ActiveIn.Process.Count > 0 && !timer.ActiveIn.Process.Contains(process.State))
                continue;
            var offsets = process.TimerOffsets.TryGetValue(timer.Id, out var custom) ? custom : timer.OffsetDays;
            if (timer.Scope == MachineKind.Process)
            {
                if (Anchor(timer.RelativeTo, process, null) is { } anchor)
                    plan.AddRange(offsets.Select(o => new TimerInstance(timer.Id, null, o, Due(timer, anchor, o), timer)));
                continue;
            }
            foreach (var item in process.Items.Where(i => timer.ActiveIn.Item.Count == 0 || timer.ActiveIn.Item.Contains(i.State)))
            {
                if (Anchor(timer.RelativeTo, process, item) is { } anchor)
                    plan.AddRange(offsets.Select(o => new TimerInstance(timer.Id, item.MunicipalityCode, o, Due(timer, anchor, o), timer)));
            }
        }
        return plan;
    }

    /// <summary>When a timer with this definition is due, for an anchor given as its instant and its Amsterdam date.</summary>
    public static DateTimeOffset Due(TimerDefinition timer, (DateTimeOffset Instant, DateOnly Date) anchor, int offsetDays)
    {
        if (timer.TimeOfDay is not { } time)
            return anchor.Instant.AddDays(offsetDays);
        var date = WorkingDays.Apply(anchor.Date.AddDays(offsetDays), timer.WorkingDays);
        return Amsterdam.At(date, time);
    }

    private static (DateTimeOffset Instant, DateOnly Date)? Anchor(string anchor, DecisionProcess process, AgendaItem? item) => anchor switch
    {
        "deadline" => (process.DeadlineAt, process.Deadline.LastDay),
        "meeting" when item?.MeetingStartsAt is { } m => (m, Amsterdam.DateOf(m)),
        "publication" when process.PublicationAt is { } p => (p, Amsterdam.DateOf(p)),
        _ => null,
    };
}
