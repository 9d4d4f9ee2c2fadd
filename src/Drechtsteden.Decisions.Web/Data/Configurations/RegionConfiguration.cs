using Drechtsteden.Decisions.Regions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Data.Configurations;

internal sealed class RegionConfiguration : IEntityTypeConfiguration<Region>
{
    public void Configure(EntityTypeBuilder<Region> builder)
    {
        builder.HasKey(r => r.Code);
        builder.Property(r => r.Code).HasMaxLength(40);
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Ignore(r => r.MemberCodes);
        builder.Property<List<string>>("_members").HasColumnName("member_codes");
    }
}

internal sealed class MunicipalityConfiguration : IEntityTypeConfiguration<Municipality>
{
    public void Configure(EntityTypeBuilder<Municipality> builder)
    {
        builder.HasKey(m => m.Code);
        builder.Property(m => m.Code).HasMaxLength(6);
        builder.Property(m => m.Name).HasMaxLength(200);
        builder.Property(m => m.UsualMeetingDay).HasMaxLength(10);
    }
}
