using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>
/// One line of the append-only, hash-chained audit trail. Each process has its own chain (its id is the chain id);
/// everything else (meetings, definitions, users) is in the system chain (<see cref="SystemChain"/>).
/// </summary>
public sealed class AuditEntry
{
    public static readonly Guid SystemChain = Guid.Empty;

    public long Id { get; init; }

    /// <summary>Unique per entry, stable across exports: the ZGW AuditTrail uuid.</summary>
    public Guid Uuid { get; init; }

    public Guid ChainId { get; init; }

    /// <summary>1, 2, 3, … within the chain, assigned under the chain's lock: a chain cannot fork.</summary>
    public long ChainSequence { get; init; }

    public DateTimeOffset RecordedAt { get; init; }

    public required string ActorId { get; init; }

    public required string ActorName { get; init; }

    public required string ActorRole { get; init; }

    public string? ActorMunicipality { get; init; }

    /// <summary>What happened, e.g. decision.recorded.</summary>
    public required string Action { get; init; }

    /// <summary>The kind of thing touched: process, agendaItem, decision, conceptVersion, meeting, workflowDefinition, auditTrail.</summary>
    public required string Resource { get; init; }

    public required string ResourceId { get; init; }

    /// <summary>A readable name of the touched thing.</summary>
    public required string ResourceName { get; init; }

    public Guid? ProcessId { get; init; }

    public Guid? ItemId { get; init; }

    public string? MunicipalityCode { get; init; }

    /// <summary>Canonical JSON of the resource before the change, or null.</summary>
    public string? Before { get; init; }

    /// <summary>Canonical JSON of the resource after the change, or null.</summary>
    public string? After { get; init; }

    public string? Reason { get; init; }

    /// <summary>The HTTP status the command answered (201 created, 200 changed).</summary>
    public int Status { get; init; }

    public string? CorrelationId { get; init; }

    public string? ClientAddress { get; init; }

    public required string PreviousHash { get; init; }

    /// <summary>SHA-256 of the canonical form (<see cref="AuditHash"/>), which includes <see cref="PreviousHash"/>.</summary>
    public string Hash { get; internal set; } = "";
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.HasIndex(e => new { e.ChainId, e.ChainSequence }).IsUnique();
        builder.HasIndex(e => e.Uuid).IsUnique();
        // No index on process_id: every reader of a process's entries asks by chain (chain_id, chain_sequence), and an
        // index nothing reads costs each of the 2-3 entries a command writes a B-tree insert (20 MB and 0 scans at full
        // size; AuditIndexTests).
        builder.Property(e => e.ActorId).HasMaxLength(255);
        builder.Property(e => e.ActorName).HasMaxLength(255);
        builder.Property(e => e.ActorRole).HasMaxLength(30);
        builder.Property(e => e.ActorMunicipality).HasMaxLength(6);
        builder.Property(e => e.Action).HasMaxLength(50);
        builder.Property(e => e.Resource).HasMaxLength(50);
        builder.Property(e => e.ResourceId).HasMaxLength(100);
        builder.Property(e => e.ResourceName).HasMaxLength(200);
        builder.Property(e => e.MunicipalityCode).HasMaxLength(6);
        // Stored as text, exactly as hashed: jsonb would reorder keys and the hash could not be recomputed byte for byte.
        builder.Property(e => e.Before).HasColumnType("text");
        builder.Property(e => e.After).HasColumnType("text");
        builder.Property(e => e.CorrelationId).HasMaxLength(200);
        builder.Property(e => e.ClientAddress).HasMaxLength(64);
        builder.Property(e => e.PreviousHash).HasMaxLength(64).IsFixedLength();
        builder.Property(e => e.Hash).HasMaxLength(64).IsFixedLength();
    }
}
