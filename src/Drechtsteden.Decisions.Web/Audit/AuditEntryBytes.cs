using System.Text;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>
/// An audit entry as the canonical form takes it: its text as UTF-8, as PostgreSQL stores and sends it. The verifier
/// reads this straight from a binary COPY and hashes it without decoding the text into .NET strings and encoding it
/// back; an <see cref="AuditEntry"/> is hashed through <see cref="From"/>, so there is one canonical writer
/// (<see cref="AuditHash"/>). <see cref="Id"/> and <see cref="Hash"/> are not part of the canonical form.
/// </summary>
public sealed class AuditEntryBytes
{
    public long Id { get; init; }

    public Guid Uuid { get; init; }

    public Guid ChainId { get; init; }

    public long ChainSequence { get; init; }

    public DateTimeOffset RecordedAt { get; init; }

    public required byte[] ActorId { get; init; }

    public required byte[] ActorName { get; init; }

    public required byte[] ActorRole { get; init; }

    public byte[]? ActorMunicipality { get; init; }

    public required byte[] Action { get; init; }

    public required byte[] Resource { get; init; }

    public required byte[] ResourceId { get; init; }

    public required byte[] ResourceName { get; init; }

    public Guid? ProcessId { get; init; }

    public Guid? ItemId { get; init; }

    public byte[]? MunicipalityCode { get; init; }

    public byte[]? Before { get; init; }

    public byte[]? After { get; init; }

    public byte[]? Reason { get; init; }

    public int Status { get; init; }

    public byte[]? CorrelationId { get; init; }

    public byte[]? ClientAddress { get; init; }

    /// <summary>The previous entry's hash as stored: 64 lower-case hex digits (ASCII).</summary>
    public required byte[] PreviousHash { get; init; }

    /// <summary>This entry's hash as stored (ASCII hex); empty for an entry not yet hashed.</summary>
    public byte[] Hash { get; init; } = [];

    public static AuditEntryBytes From(AuditEntry e)
    {
        static byte[]? Utf8(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);
        return new AuditEntryBytes
        {
            Id = e.Id,
            Uuid = e.Uuid,
            ChainId = e.ChainId,
            ChainSequence = e.ChainSequence,
            RecordedAt = e.RecordedAt,
            ActorId = Utf8(e.ActorId)!,
            ActorName = Utf8(e.ActorName)!,
            ActorRole = Utf8(e.ActorRole)!,
            ActorMunicipality = Utf8(e.ActorMunicipality),
            Action = Utf8(e.Action)!,
            Resource = Utf8(e.Resource)!,
            ResourceId = Utf8(e.ResourceId)!,
            ResourceName = Utf8(e.ResourceName)!,
            ProcessId = e.ProcessId,
            ItemId = e.ItemId,
            MunicipalityCode = Utf8(e.MunicipalityCode),
            Before = Utf8(e.Before),
            After = Utf8(e.After),
            Reason = Utf8(e.Reason),
            Status = e.Status,
            CorrelationId = Utf8(e.CorrelationId),
            ClientAddress = Utf8(e.ClientAddress),
            PreviousHash = Utf8(e.PreviousHash)!,
            Hash = Utf8(e.Hash)!,
        };
    }

    /// <summary>The entry with its text decoded, for display (the page shows the newest; the hash is taken from the bytes).</summary>
    public AuditEntry ToEntry()
    {
        static string? Text(byte[]? utf8) => utf8 is null ? null : Encoding.UTF8.GetString(utf8);
        return new AuditEntry
        {
            Id = Id,
            Uuid = Uuid,
            ChainId = ChainId,
            ChainSequence = ChainSequence,
            RecordedAt = RecordedAt,
            ActorId = Text(ActorId)!,
            ActorName = Text(ActorName)!,
            ActorRole = Text(ActorRole)!,
            ActorMunicipality = Text(ActorMunicipality),
            Action = Text(Action)!,
            Resource = Text(Resource)!,
            ResourceId = Text(ResourceId)!,
            ResourceName = Text(ResourceName)!,
            ProcessId = ProcessId,
            ItemId = ItemId,
            MunicipalityCode = Text(MunicipalityCode),
            Before = Text(Before),
            After = Text(After),
            Reason = Text(Reason),
            Status = Status,
            CorrelationId = Text(CorrelationId),
            ClientAddress = Text(ClientAddress),
            PreviousHash = Text(PreviousHash)!,
            Hash = Text(Hash)!,
        };
    }
}
