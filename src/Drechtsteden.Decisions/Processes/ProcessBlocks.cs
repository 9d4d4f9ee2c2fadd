using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Processes;

/// <summary>
/// The named guards, actions, timer anchors and notifications that workflow definitions for regional decision
/// processes may use. This is the only place where the engine meets the rules of PRODUCT.md.
/// </summary>
public static class ProcessBlocks
{
    public static WorkflowBlocks<ProcessContext> Create() => new WorkflowBlocks<ProcessContext>()
        // who
        .Guard("OwnMunicipality", c =>
            c.Actor.Role.IsMunicipal() && !c.Actor.ActsFor(c.RequiredItem.MunicipalityCode)
                ? new GuardFailure("other-municipality", $"You act for {c.Actor.MunicipalityCode ?? "no municipality"}, not for {c.RequiredItem.MunicipalityCode}.", DomainErrorKind.Forbidden)
                : null)
        // scheduling
        .Guard("MeetingOfThisCollege", c => c.Meeting switch
        {
            null when c.MeetingId is { } id => new GuardFailure("meeting-not-found", $"Meeting {id} does not exist.", DomainErrorKind.Invalid, "meetingId"),
            null => new GuardFailure("meeting-required", "Choose one of the college's meetings (meetingId).", DomainErrorKind.Invalid, "meetingId"),
            { } m when m.MunicipalityCode != c.RequiredItem.MunicipalityCode =>
                new GuardFailure("meeting-other-college", $"That meeting belongs to {m.MunicipalityCode}, not to {c.RequiredItem.MunicipalityCode}.", DomainErrorKind.Invalid, "meetingId"),
            { IsCancelled: true } => new GuardFailure("meeting-cancelled", "That meeting has been cancelled."),
            _ => null,
        })
        .Guard("MeetingNotInPast", c => c.Meeting is { } m && m.StartsAt <= c.Now
            ? new GuardFailure("meeting-in-past", $"The meeting of {m.Date:yyyy-MM-dd} has already started; choose a coming meeting.")
            : null)
        .Guard("MeetingBeforeDeadline", c => c.Meeting is { } m && m.StartsAt >= c.Process.DeadlineAt
            ? new GuardFailure("meeting-after-deadline", $"The meeting of {m.Date:yyyy-MM-dd} is after the deadline ({c.Process.Deadline}).")
            : null)
        // deciding
        .Guard("MeetingHasTakenPlace", c => c.RequiredItem.MeetingStartsAt is not { } startsAt || Amsterdam.DateOf(c.Now) < Amsterdam.DateOf(startsAt)
            ? new GuardFailure("meeting-not-held", "A decision can be recorded once the meeting date has come.")
            : null)
        .Guard("DecisionInputComplete", CheckDecisionInput)
        // process rules
        .Guard("AllItemsIdentical", c => c.Process.Items.All(c.Process.IsIdentical) ? null : NotYet("not-all-identical"))
        .Guard("AllItemsDecided", c => c.Process.Items.All(i => i.LatestDecision is { Outcome: not DecisionOutcome.Deferred } d && d.ConceptVersion == c.Process.CurrentConcept.Number)
            ? null : NotYet("not-all-decided"))
        .Guard("AnyItemDiverged", c => c.Process.Items.Any(c.Process.IsDiverged) ? null : NotYet("none-diverged"))
        .Guard("NoItemDiverged", c => c.Process.Items.Any(c.Process.IsDiverged) ? NotYet("some-diverged") : null)
        .Guard("DecidedOnOlderVersion", c => c.Process.IsDecidedOnOlderVersion(c.RequiredItem) ? null : NotYet("decided-on-current"))
        .Guard("DeadlineHasPassed", c => c.Process.Deadline.HasPassed(c.Now) ? null : new GuardFailure("deadline-not-passed", "The deadline has not passed yet."))
        .Guard("ReasonGiven", c => string.IsNullOrWhiteSpace(c.Reason)
            ? new GuardFailure("reason-required", "Give a reason.", DomainErrorKind.Invalid, "reason")
            : null)
        .Guard("ConceptTextGiven", c => string.IsNullOrWhiteSpace(c.ConceptText)
            ? new GuardFailure("concept-text-required", "The concept needs a decision text.", DomainErrorKind.Invalid, "text")
            : null)
        .Guard("NewDeadlineIsLater", c => c.NewDeadline switch
        {
            null => new GuardFailure("deadline-required", "Give the new deadline either as a date (date) or as an instant (at).", DomainErrorKind.Invalid, "date"),
            { } d when d.Instant <= c.Process.DeadlineAt || d.Instant <= c.Now =>
                new GuardFailure("deadline-not-later", $"The new deadline must be later than the current one ({c.Process.Deadline}) and in the future.", DomainErrorKind.Invalid, "date"),
            _ => null,
        })
        .Guard("PublicationIsNow", c => c.PublicationAt is { } at && at > c.Now ? NotYet("publication-later") : null)
        .Guard("PublicationIsLater", c => c.PublicationAt is { } at && at > c.Now ? null : NotYet("publication-now"))
        .Guard("TargetWeekBeforeDeadline", c => c.TargetWeek switch
        {
            null => new GuardFailure("target-week-required", "Give a day of the synchronous week (week).", DomainErrorKind.Invalid, "week"),
            { } d when Processes.TargetWeek.Containing(d).Start > c.Process.Deadline.LastDay =>
                new GuardFailure("target-week-after-deadline", $"The week of {d:yyyy-MM-dd} starts after the deadline ({c.Process.Deadline.LastDay:yyyy-MM-dd}).", DomainErrorKind.Invalid, "week"),
            { } d when Processes.TargetWeek.Containing(d).End < Amsterdam.DateOf(c.Now) =>
                new GuardFailure("target-week-past", $"The week of {d:yyyy-MM-dd} is over.", DomainErrorKind.Invalid, "week"),
            _ => null,
        })
        // the councils
        .Guard("EmbargoIsLifted", c => c.EmbargoLifted ? null
            : new GuardFailure("not-published", "The raadsinformatiebrief goes to the council once the decisions are published."))
        .Guard("CouncilDateGiven", c => c.CouncilInformedOn switch
        {
            null => new GuardFailure("council-date-required", "Give the date on which the letter was placed before the council (informedOn).", DomainErrorKind.Invalid, "informedOn"),
            { } d when d > Amsterdam.DateOf(c.Now) => new GuardFailure("council-date-in-future", $"The date {d:yyyy-MM-dd} lies in the future.", DomainErrorKind.Invalid, "informedOn"),
            { } d when c.Process.PublicationAt is { } at && d < Amsterdam.DateOf(at) =>
                new GuardFailure("council-date-before-publication", $"The date {d:yyyy-MM-dd} lies before the publication ({Amsterdam.DateOf(at):yyyy-MM-dd}).", DomainErrorKind.Invalid, "informedOn"),
            _ => null,
        })
        .Guard("AllCouncilsInformed", c => c.Process.Items.All(i => i.CouncilInformedOn is not null) ? null : NotYet("councils-not-informed"))
        .Guard("PublicationIsDue", c => c.Process.PublicationAt is { } at && at <= c.Now ? null : NotYet("publication-not-due"))
        // actions
        .Action("AssignMeeting", c => c.RequiredItem.AssignMeeting(c.Meeting!))
        .Action("WarnOutsideSynchronizationWindow", c =>
        {
            if (c.Process.SynchronizationWindowStart is { } start && c.Meeting is { } m && m.Date < start)
                c.Warnings.Add($"The meeting of {m.Date:yyyy-MM-dd} is before the synchronization window, which starts {start:yyyy-MM-dd}.");
        })
        .Action("RecordDecision", RecordDecision)
        .Action("ClearMeeting", c => c.RequiredItem.ClearMeeting())
        .Action("AddConceptVersion", c => c.Process.AddConcept(TextComparison.Normalize(c.ConceptText), c.DocumentUrl, c.Reason, c.Now, c.Actor.UserId, c.CouncilLetter))
        // Actions take what a definition's guards may not have checked: a definition without ReasonGiven still works.
        .Action("ChangeDeadline", c => c.Process.ChangeDeadline(
            c.NewDeadline ?? throw DomainException.Invalid("deadline-required", "Give the new deadline.", "date"), c.Reason?.Trim() ?? "", c.Now, c.Actor.UserId))
        .Action("SetPublication", c => c.Process.SetPublication(c.PublicationAt is { } at && at > c.Now ? at : c.Now))
        .Action("SetTargetWeek", c => c.Process.SetSynchronizationWindow(Processes.TargetWeek.Containing(
            c.TargetWeek ?? throw DomainException.Invalid("target-week-required", "Give a day of the synchronous week.", "week")).Start))
        .Action("RecordCouncilInformed", c => c.RequiredItem.RecordCouncilInformed(
            c.CouncilInformedOn ?? throw DomainException.Invalid("council-date-required", "Give the date on which the letter was placed before the council.", "informedOn"),
            c.CouncilLink, c.Now, c.Actor.UserId))
        .Action("RecordCancellation", c => c.Process.SetCancellation(string.IsNullOrWhiteSpace(c.Reason) ? null : c.Reason.Trim()))
        // timers
        .Anchor("deadline")
        .Anchor("meeting")
        .Anchor("publication")
        .Notification("schedule-reminder")
        .Notification("decision-reminder")
        .Notification("deadline-escalation")
        .Notification("no-meeting-left")
        .Notification("publication-released")
        .Notification("council-letter-ready")
        .Notification("council-reminder")
        .Notification("councils-informed");

    private static GuardFailure NotYet(string code) => new(code, code);

    private static GuardFailure? CheckDecisionInput(ProcessContext c)
    {
        var input = c.Decision;
        if (input?.Outcome is not { } outcome)
            return new GuardFailure("outcome-required", "Say what the college decided (outcome).", DomainErrorKind.Invalid, "outcome");
        if (input.ConceptVersion is not { } version)
            return new GuardFailure("concept-version-required", "Name the concept version the college decided on (conceptVersion).", DomainErrorKind.Invalid, "conceptVersion");
        if (c.Process.Concept(version) is not { } concept)
            return new GuardFailure("concept-version-unknown", $"Concept version {version} does not exist; the current version is {c.Process.CurrentConcept.Number}.", DomainErrorKind.Invalid, "conceptVersion");
        if (outcome == DecisionOutcome.AdoptedWithAmendments && string.IsNullOrWhiteSpace(input.Text))
            return new GuardFailure("adopted-text-required", "Adopted with amendments needs the adopted text.", DomainErrorKind.Invalid, "text");
        if (outcome == DecisionOutcome.Deferred && string.IsNullOrWhiteSpace(input.Reason))
            return new GuardFailure("deferral-reason-required", "A deferral needs a reason.", DomainErrorKind.Invalid, "reason");
        if (outcome == DecisionOutcome.Adopted && input.Text is { } text && !TextComparison.AreIdentical(text, concept.Text))
            return new GuardFailure("adopted-text-differs", "The text differs from the concept: record the outcome AdoptedWithAmendments.", DomainErrorKind.Invalid, "text");
        var today = Amsterdam.DateOf(c.Now);
        if (input.DecidedOn is { } date && date > today)
            return new GuardFailure("decision-date-in-future", $"The decision date {date:yyyy-MM-dd} lies in the future.", DomainErrorKind.Invalid, "decidedOn");
        if (input.DecidedOn is { } d && c.RequiredItem.MeetingStartsAt is { } startsAt && d < Amsterdam.DateOf(startsAt))
            return new GuardFailure("decision-before-meeting", $"The decision date {d:yyyy-MM-dd} lies before the meeting ({Amsterdam.DateOf(startsAt):yyyy-MM-dd}).", DomainErrorKind.Invalid, "decidedOn");
        return null;
    }

    private static void RecordDecision(ProcessContext c)
    {
        var input = c.Decision!;
        var item = c.RequiredItem;
        var concept = c.Process.Concept(input.ConceptVersion!.Value)!;
        var outcome = input.Outcome!.Value;
        var text = outcome switch
        {
            DecisionOutcome.Adopted => concept.Text,
            DecisionOutcome.AdoptedWithAmendments => input.Text!.Trim(),
            _ => null,
        };
        var decidedOn = input.DecidedOn ?? (item.MeetingStartsAt is { } startsAt ? Amsterdam.DateOf(startsAt) : Amsterdam.DateOf(c.Now));
        var reason = string.IsNullOrWhiteSpace(input.Reason) ? null : input.Reason.Trim();
        item.AddDecision(concept.Number, outcome, text, decidedOn, reason, text is not null && TextComparison.AreIdentical(text, concept.Text), c.Now, c.Actor.UserId);
    }
}
