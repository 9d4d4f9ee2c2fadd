namespace Drechtsteden.Decisions.Processes;

public enum DecisionOutcome
{
    Adopted,
    AdoptedWithAmendments,
    Rejected,

    /// <summary>Aangehouden: the item goes back to be scheduled again.</summary>
    Deferred,
}

/// <summary>A college's decision on its agenda item, on a named concept version. Kept forever, also when superseded.</summary>
public sealed class Decision
{
    private Decision()
    {
        RecordedBy = "";
    }

    internal Decision(Guid itemId, int sequence, int conceptVersion, DecisionOutcome outcome, string? text, DateOnly decidedOn, string? reason,
        Guid? meetingId, bool textMatchesConcept, DateTimeOffset recordedAt, string recordedBy)
    {
        Id = Guid.CreateVersion7(recordedAt);
        ItemId = itemId;
        Sequence = sequence;
        ConceptVersion = conceptVersion;
        Outcome = outcome;
        Text = text;
        DecidedOn = decidedOn;
        Reason = reason;
        MeetingId = meetingId;
        TextMatchesConcept = textMatchesConcept;
        RecordedAt = recordedAt;
        RecordedBy = recordedBy;
    }

    /// <summary>A decision as it is stored (for a store that reads it by hand).</summary>
    public static Decision FromStored(Guid id, Guid itemId, int sequence, int conceptVersion, DecisionOutcome outcome, string? text, DateOnly decidedOn,
        string? reason, Guid? meetingId, bool textMatchesConcept, DateTimeOffset recordedAt, string recordedBy) =>
        new(itemId, sequence, conceptVersion, outcome, text, decidedOn, reason, meetingId, textMatchesConcept, recordedAt, recordedBy) { Id = id };

    public Guid Id { get; private set; }

    public Guid ItemId { get; private set; }

    /// <summary>1 for the item's first decision, then 2, …: the order of the history.</summary>
    public int Sequence { get; private set; }

    public int ConceptVersion { get; private set; }

    public DecisionOutcome Outcome { get; private set; }

    /// <summary>The adopted text: the concept's for Adopted, the amended one for AdoptedWithAmendments.</summary>
    public string? Text { get; private set; }

    /// <summary>The date of the college meeting that decided.</summary>
    public DateOnly DecidedOn { get; private set; }

    /// <summary>Why the item was deferred or rejected.</summary>
    public string? Reason { get; private set; }

    public Guid? MeetingId { get; private set; }

    /// <summary>The adopted text equals the text of <see cref="ConceptVersion"/> after whitespace normalization.</summary>
    public bool TextMatchesConcept { get; private set; }

    public DateTimeOffset RecordedAt { get; private set; }

    public string RecordedBy { get; private set; }

    public bool IsAdoption => Outcome is DecisionOutcome.Adopted or DecisionOutcome.AdoptedWithAmendments;
}

/// <summary>
/// What a college's latest decision means against the current concept version — the one place for these rules; the
/// aggregate (<see cref="DecisionProcess"/>) and a list's rows (<see cref="ProcessFacts"/>) both ask here.
/// </summary>
public static class DecisionRules
{
    /// <summary>Gelijkluidend: adopted, on the current concept version, with the concept's text (whitespace normalized).</summary>
    public static bool IsIdentical(DecisionOutcome? outcome, int version, bool textMatches, int current) =>
        outcome is DecisionOutcome.Adopted or DecisionOutcome.AdoptedWithAmendments && textMatches && version == current;

    /// <summary>Decided on the current version, but not identically: rejected, or adopted with another text.</summary>
    public static bool IsDiverged(DecisionOutcome? outcome, int version, bool textMatches, int current) =>
        outcome is { } o && o != DecisionOutcome.Deferred && version == current && !IsIdentical(outcome, version, textMatches, current);

    /// <summary>Decided (not deferred) on a concept version that has since been revised.</summary>
    public static bool IsDecidedOnOlderVersion(DecisionOutcome? outcome, int version, int current) =>
        outcome is { } o && o != DecisionOutcome.Deferred && version < current;
}
