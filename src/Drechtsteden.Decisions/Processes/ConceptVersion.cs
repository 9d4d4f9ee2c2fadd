namespace Drechtsteden.Decisions.Processes;

/// <summary>One version of the regional concept (beslispunten). Versions are never changed, only added.</summary>
public sealed class ConceptVersion
{
    private ConceptVersion()
    {
        Text = "";
        CreatedBy = "";
    }

    internal ConceptVersion(Guid processId, int number, string text, string? documentUrl, string? note, DateTimeOffset createdAt, string createdBy,
        string? councilLetter = null)
    {
        Id = Guid.CreateVersion7(createdAt);
        ProcessId = processId;
        Number = number;
        Text = text;
        DocumentUrl = documentUrl;
        Note = note;
        CouncilLetter = councilLetter;
        CreatedAt = createdAt;
        CreatedBy = createdBy;
    }

    /// <summary>A version as it is stored (for a store that reads it by hand).</summary>
    public static ConceptVersion FromStored(Guid id, Guid processId, int number, string text, string? documentUrl, string? note, DateTimeOffset createdAt,
        string createdBy, string? councilLetter) =>
        new(processId, number, text, documentUrl, note, createdAt, createdBy, councilLetter) { Id = id };

    public Guid Id { get; private set; }

    public Guid ProcessId { get; private set; }

    /// <summary>1, 2, 3, …: what a college names when it records its decision.</summary>
    public int Number { get; private set; }

    public string Text { get; private set; }

    public string? DocumentUrl { get; private set; }

    /// <summary>Why this version was made (for a revision).</summary>
    public string? Note { get; private set; }

    /// <summary>
    /// The raadsinformatiebrief's body (Markdown) that goes with this version: one text, the same for every council; at
    /// publication each municipality gets its copy with its own header (<see cref="CouncilLetter"/>).
    /// </summary>
    public string? CouncilLetter { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public string CreatedBy { get; private set; }
}
