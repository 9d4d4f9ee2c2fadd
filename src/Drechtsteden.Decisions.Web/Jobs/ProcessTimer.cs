using Drechtsteden.Decisions.Processes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Jobs;

/// <summary>
/// A durable timer: one instance of a definition timer for a process (and item), at one due instant, and the Hangfire
/// job that should wake it. The rows follow the process's state (<see cref="TimerReconciliation"/>): a moved instant
/// is a new row, a fired or cancelled row stays as history. The database is the truth; Hangfire only wakes things up.
/// </summary>
public sealed class ProcessTimer
{
    /// <summary>Store-generated; negative for a timer created in the open transaction and not yet stored.</summary>
    public long Id { get; set; }

    public Guid ProcessId { get; init; }

    public string? MunicipalityCode { get; init; }

    /// <summary>The timer's id in the workflow definition.</summary>
    public required string TimerId { get; init; }

    /// <summary>Names the instance (timer, municipality, offset); with <see cref="DueAt"/> it identifies it.</summary>
    public required string InstanceKey { get; init; }

    public int OffsetDays { get; init; }

    public DateTimeOffset DueAt { get; init; }

    public TimerStatus Status { get; set; }

    public string? HangfireJobId { get; set; }

    public DateTimeOffset? FiredAt { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Failed attempts to fire it; after <see cref="TimerStore.MaxAttempts"/> it is parked.</summary>
    public int Attempts { get; set; }

    public string? LastError { get; set; }

    /// <summary>After a failed attempt: not before this instant again (exponential backoff).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public StoredTimer Stored => new(Id, InstanceKey, DueAt, Status);
}

/// <summary>The proof that a timer fired: its primary key makes a second firing impossible.</summary>
public sealed class TimerFiring
{
    public long TimerId { get; init; }

    public DateTimeOffset FiredAt { get; init; }

    /// <summary>How late it fired (fired at minus due at), for the figures.</summary>
    public double LatenessMilliseconds { get; init; }

    public required string FiredBy { get; init; }
}

internal sealed class ProcessTimerConfiguration : IEntityTypeConfiguration<ProcessTimer>
{
    public void Configure(EntityTypeBuilder<ProcessTimer> builder)
    {
        builder.ToTable("timers");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).UseIdentityAlwaysColumn();
        builder.Property(t => t.MunicipalityCode).HasMaxLength(6);
        builder.Property(t => t.TimerId).HasMaxLength(100);
        builder.Property(t => t.InstanceKey).HasMaxLength(200);
        builder.Property(t => t.Status).HasMaxLength(20);
        builder.Property(t => t.HangfireJobId).HasMaxLength(100);
        builder.Property(t => t.LastError).HasMaxLength(TimerStore.MaxErrorLength);
        builder.Ignore(t => t.Stored);
        // A process's timers, all of them (the reconciliation reads them in every command).
        builder.HasIndex(t => new { t.ProcessId, t.DueAt });
        // At most one scheduled instance per key: a new instant replaces it, history keeps the rest.
        builder.HasIndex(t => new { t.ProcessId, t.InstanceKey }).IsUnique().HasFilter("status = 'Scheduled'");
        // The sweeper's question: which scheduled timers are due?
        builder.HasIndex(t => t.DueAt).HasFilter("status = 'Scheduled'");
        builder.HasIndex(t => t.Status).HasFilter("status = 'Parked'");
        builder.HasOne<DecisionProcess>().WithMany().HasForeignKey(t => t.ProcessId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TimerFiringConfiguration : IEntityTypeConfiguration<TimerFiring>
{
    public void Configure(EntityTypeBuilder<TimerFiring> builder)
    {
        builder.ToTable("timer_firings");
        builder.HasKey(f => f.TimerId);
        builder.Property(f => f.TimerId).ValueGeneratedNever();
        builder.Property(f => f.FiredBy).HasMaxLength(200);
        builder.HasOne<ProcessTimer>().WithOne().HasForeignKey<TimerFiring>(f => f.TimerId).OnDelete(DeleteBehavior.Restrict);
    }
}
