using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Webhooks;

/// <summary>
/// A receiver an administrator registered: where to POST, the secret the body is signed with (kept encrypted with the
/// app's data-protection keys, never shown again), and which kinds of event it wants.
/// </summary>
public sealed class Webhook
{
    public Guid Id { get; init; }

    public required string Url { get; init; }

    /// <summary>The secret, protected with ASP.NET Core data protection (<see cref="WebhookSecrets"/>).</summary>
    public required string ProtectedSecret { get; init; }

    public required string[] EventTypes { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>
/// Something that happened to a process, written in the same transaction as the command that made it happen (the
/// outbox): its id is the CloudEvent's id, stable over every retry and every receiver, so a receiver can de-duplicate.
/// The dispatcher fans it out to the webhooks registered for its type when it occurred.
/// </summary>
public sealed class WebhookEvent
{
    public Guid Id { get; init; }

    /// <summary>The order the events were written in (by the database): two events of one command share their instant.</summary>
    public long Sequence { get; init; }

    /// <summary>One of <see cref="WebhookEventTypes"/>.</summary>
    public required string Type { get; init; }

    public Guid ProcessId { get; init; }

    /// <summary>The CloudEvent's subject: the municipality for an item's event, else the process.</summary>
    public required string Subject { get; init; }

    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The event's data, JSON.</summary>
    public required string Data { get; init; }

    /// <summary>When the dispatcher made its deliveries (null: not yet).</summary>
    public DateTimeOffset? FannedOutAt { get; set; }
}

public enum WebhookDeliveryStatus
{
    Pending,
    Delivered,

    /// <summary>Every attempt failed: set aside, visible to administrators.</summary>
    Failed,
}

/// <summary>One event to one webhook: at least once, retried with a growing pause, until the receiver answers 2xx.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; init; }

    public Guid EventId { get; init; }

    public Guid WebhookId { get; init; }

    public WebhookDeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public string? LastError { get; set; }
}

/// <summary>The kinds of event a webhook may ask for (the CloudEvent type is <see cref="Prefix"/> + kind).</summary>
public static class WebhookEventTypes
{
    public const string Prefix = "nl.drechtsteden-decisions.";
    public const string ProcessStarted = "process.started";
    public const string ItemScheduled = "item.scheduled";
    public const string DecisionRecorded = "decision.recorded";
    public const string ProcessPublished = "process.published";
    public const string CouncilInformed = "council.informed";

    public static readonly IReadOnlyList<string> All = [ProcessStarted, ItemScheduled, DecisionRecorded, ProcessPublished, CouncilInformed];
}

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> builder)
    {
        builder.ToTable("webhooks");
        builder.HasKey(w => w.Id);
        builder.Property(w => w.Id).ValueGeneratedNever();
        builder.Property(w => w.Url).HasMaxLength(Drechtsteden.Decisions.Input.Limits.Url);
        builder.Property(w => w.ProtectedSecret).HasMaxLength(2000);
        builder.Property(w => w.CreatedBy).HasMaxLength(200);
    }
}

internal sealed class WebhookEventConfiguration : IEntityTypeConfiguration<WebhookEvent>
{
    public void Configure(EntityTypeBuilder<WebhookEvent> builder)
    {
        builder.ToTable("webhook_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.Type).HasMaxLength(50);
        builder.Property(e => e.Subject).HasMaxLength(100);
        builder.Property(e => e.Data).HasColumnType("jsonb");
        // The dispatcher's queue: what has not been fanned out yet, oldest first.
        builder.Property(e => e.Sequence).UseIdentityAlwaysColumn();
        builder.HasIndex(e => e.Sequence).HasFilter("fanned_out_at IS NULL").HasDatabaseName("ix_webhook_events_pending");
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.HasKey(d => d.Id);
        builder.HasIndex(d => new { d.EventId, d.WebhookId }).IsUnique();
        builder.HasIndex(d => d.NextAttemptAt).HasFilter("status = 'Pending'").HasDatabaseName("ix_webhook_deliveries_due");
        builder.Property(d => d.Status).HasMaxLength(20);
        builder.Property(d => d.LastError).HasMaxLength(2000);
        builder.HasOne<WebhookEvent>().WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Webhook>().WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Restrict);
    }
}
