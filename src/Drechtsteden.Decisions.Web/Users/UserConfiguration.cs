using Drechtsteden.Decisions.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Users;

internal sealed class UserConfiguration : IEntityTypeConfiguration<UserAccount>
{
    public void Configure(EntityTypeBuilder<UserAccount> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(200);
        builder.Property(u => u.DisplayName).HasMaxLength(200);
        builder.Property(u => u.Email).HasMaxLength(320);
        builder.Property(u => u.Role).HasMaxLength(30);
        builder.Property(u => u.MunicipalityCode).HasMaxLength(6);
        builder.Property(u => u.RegionCode).HasMaxLength(40);
        builder.Property(u => u.PasswordHash).HasMaxLength(500);
        builder.Property(u => u.MailOptOut).HasColumnType("text[]").HasDefaultValueSql("'{}'::text[]");
        builder.HasIndex(u => new { u.Role, u.MunicipalityCode });
    }
}
