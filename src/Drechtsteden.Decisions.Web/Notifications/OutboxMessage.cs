using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Notifications;

public enum OutboxStatus
{
    Pending,
    Sent,
    Failed,

    /// <summary>The recipient reads this kind in the app only (their e-mail preference): never sent by mail.</summary>
    InAppOnly,
}

/// <summary>
/// A message to one recipient, written in the same transaction as the event that caused it and sent afterwards by
/// the dispatcher. <see cref="DedupeKey"/> is unique: the same reminder is never queued twice for one person.
/// </summary>
public sealed class OutboxMessage
{
    public const int MaxDedupeKeyLength = 300;

    public const int MaxSubjectLength = 300;

    public long Id { get; init; }

    public required string DedupeKey { get; init; }

    /// <summary>reminder, escalation, risk, publication or alert (to administrators).</summary>
    public required string Kind { get; init; }

    public required string RecipientUserId { get; init; }

    public required string RecipientName { get; init; }

    public required string RecipientEmail { get; init; }

    public required string Subject { get; init; }

    public required string Body { get; init; }

    public required string Link { get; init; }

    public Guid? ProcessId { get; init; }

    public string? MunicipalityCode { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public OutboxStatus Status { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>When the recipient marked it read in the app; null while unread.</summary>
    public DateTimeOffset? ReadAt { get; set; }
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("outbox_messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).UseIdentityAlwaysColumn();
        builder.HasIndex(m => m.DedupeKey).IsUnique();
        builder.HasIndex(m => m.NextAttemptAt).HasFilter("status = 'Pending'");
        builder.HasIndex(m => new { m.RecipientUserId, m.CreatedAt });
        builder.HasIndex(m => m.ProcessId);
        builder.HasIndex(m => m.RecipientUserId).HasFilter("read_at IS NULL").HasDatabaseName("ix_outbox_messages_unread");
        builder.Property(m => m.DedupeKey).HasMaxLength(OutboxMessage.MaxDedupeKeyLength);
        builder.Property(m => m.Kind).HasMaxLength(30);
        builder.Property(m => m.RecipientUserId).HasMaxLength(200);
        builder.Property(m => m.RecipientName).HasMaxLength(200);
        builder.Property(m => m.RecipientEmail).HasMaxLength(320);
        builder.Property(m => m.Subject).HasMaxLength(OutboxMessage.MaxSubjectLength);
        builder.Property(m => m.Link).HasMaxLength(2000);
        builder.Property(m => m.MunicipalityCode).HasMaxLength(6);
        builder.Property(m => m.Status).HasMaxLength(20);
        builder.Property(m => m.LastError).HasMaxLength(2000);
    }
}
