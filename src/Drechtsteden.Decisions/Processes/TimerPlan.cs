using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>
/// One due instance of a definition timer: for the process, or for one college's item, at one offset. Its key names
/// the instance (timer, municipality, offset); key and due instant together identify it, so a moved deadline makes a
/// new instance and the old one is cancelled (<see cref="TimerReconciliation"/>).
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

/// <summary>What became of a stored timer: waiting for its instant, fired, cancelled, or parked after failing too often.</summary>
public enum TimerStatus
{
    Scheduled,
    Fired,
    Cancelled,

    /// <summary>Failed on every attempt: set aside (a dead letter) for an administrator, and not planned again.</summary>
    Parked,
}

/// <summary>A stored timer as the reconciliation sees it.</summary>
public sealed record StoredTimer(long Id, string Key, DateTimeOffset DueAt, TimerStatus Status);

/// <summary>What has to change in the stored timers: rows to cancel and instances to create.</summary>
public sealed record TimerChanges(IReadOnlyList<long> Cancel, IReadOnlyList<TimerInstance> Create)
{
    public bool IsEmpty => Cancel.Count == 0 && Create.Count == 0;
}

/// <summary>
/// Makes the stored timers of a process match the timers its state calls for (<see cref="TimerPlan"/>), whatever the
/// command that changed the state: a timer is identified by its instance key and its due instant, so a moved instant
/// is a new timer and the old one is cancelled. Kept unchanged: a scheduled timer still called for. Never again: a
/// timer that fired (or was parked) at that instant. Not created: a reminder whose instant passed before it was called
/// for (it is not sent after the fact); a timer that fires a trigger is created even when late, so the state catches up.
/// </summary>
public static class TimerReconciliation
{
    public static TimerChanges Reconcile(IEnumerable<TimerInstance> desired, IReadOnlyCollection<StoredTimer> stored, DateTimeOffset now)
    {
        var wanted = desired.GroupBy(Identity).Select(g => g.First()).ToList();
        var wantedIds = wanted.Select(Identity).ToHashSet();
        var cancel = stored.Where(s => s.Status == TimerStatus.Scheduled && !wantedIds.Contains((s.Key, Instants.ToMicroseconds(s.DueAt))))
            .Select(s => s.Id).ToList();
        var present = stored.Where(s => s.Status is TimerStatus.Scheduled or TimerStatus.Fired or TimerStatus.Parked)
            .Select(s => (s.Key, Instants.ToMicroseconds(s.DueAt))).ToHashSet();
        var create = wanted.Where(i => !present.Contains(Identity(i)) && !(i.DueAt < now && i.Definition.Trigger is null)).ToList();
        return new TimerChanges(cancel, create);
    }

    private static (string Key, DateTimeOffset DueAt) Identity(TimerInstance instance) => (instance.Key, Instants.ToMicroseconds(instance.DueAt));
}
