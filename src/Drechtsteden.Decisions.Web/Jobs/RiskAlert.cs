using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Jobs;

/// <summary>The coordinators were told that this item's college has no meeting left before the deadline; the key makes it once.</summary>
public sealed class RiskAlert
{
    public Guid ItemId { get; init; }

    public Guid ProcessId { get; init; }

    public DateTimeOffset AlertedAt { get; init; }
}

internal sealed class RiskAlertConfiguration : IEntityTypeConfiguration<RiskAlert>
{
    public void Configure(EntityTypeBuilder<RiskAlert> builder)
    {
        builder.ToTable("risk_alerts");
        builder.HasKey(r => r.ItemId);
        builder.HasOne<Decisions.Processes.AgendaItem>().WithOne().HasForeignKey<RiskAlert>(r => r.ItemId).OnDelete(DeleteBehavior.Restrict);
    }
}
