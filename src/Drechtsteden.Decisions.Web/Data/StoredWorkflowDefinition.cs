using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>A workflow definition version as loaded once: its exact JSON and hash. Never updated, never deleted.</summary>
public sealed class StoredWorkflowDefinition
{
    public required string DefinitionId { get; init; }

    public required int Version { get; init; }

    public required string Name { get; init; }

    public required string ContentHash { get; init; }

    public required string Json { get; init; }

    public required string SourceFile { get; init; }

    public required DateTimeOffset LoadedAt { get; init; }
}

/// <summary>The first answer to a command sent with an Idempotency-Key; a retry gets it again.</summary>
public sealed class IdempotencyRecord
{
    public required string Key { get; init; }

    public required string ActorId { get; init; }

    public required string RequestHash { get; init; }

    public required string ResponseJson { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

internal sealed class StoredWorkflowDefinitionConfiguration : IEntityTypeConfiguration<StoredWorkflowDefinition>
{
    public void Configure(EntityTypeBuilder<StoredWorkflowDefinition> builder)
    {
        builder.ToTable("workflow_definitions");
        builder.HasKey(d => new { d.DefinitionId, d.Version });
        builder.Property(d => d.DefinitionId).HasMaxLength(100);
        builder.Property(d => d.Name).HasMaxLength(200);
        builder.Property(d => d.ContentHash).HasMaxLength(64);
        builder.Property(d => d.SourceFile).HasMaxLength(300);
    }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable("idempotency_keys");
        builder.HasKey(r => r.Key);
        builder.Property(r => r.Key).HasMaxLength(200);
        builder.Property(r => r.ActorId).HasMaxLength(200);
        builder.Property(r => r.RequestHash).HasMaxLength(64);
        builder.Property(r => r.ResponseJson).HasColumnType("jsonb");
    }
}
