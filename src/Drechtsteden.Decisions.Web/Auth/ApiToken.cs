using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Drechtsteden.Decisions.Web.Auth;

/// <summary>
/// A long-lived token for an integration (a municipal system), acting as one user. Only its SHA-256 is stored; the
/// token itself is shown once, when it is made. Revoked tokens stay, so the audit trail can name them.
/// </summary>
public sealed class ApiToken
{
    public const string Prefix = "ddt_";

    public Guid Id { get; init; }

    public required string UserId { get; init; }

    public required string Name { get; init; }

    public required string TokenHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>
    /// An integration token limited to one scope (e.g. <see cref="BesluitenLezen"/>) for one municipality; it acts in
    /// no role, so it can do nothing else. Null: the token acts as its user, in the user's role.
    /// </summary>
    public string? Scope { get; init; }

    public string? ScopeMunicipality { get; init; }

    /// <summary>Reading one municipality's published decisions through the ZGW Besluiten API (the standard's scope name).</summary>
    public const string BesluitenLezen = "besluiten.lezen";

    public static readonly IReadOnlyList<string> Scopes = [BesluitenLezen];

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashOf(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> builder)
    {
        builder.ToTable("api_tokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).ValueGeneratedNever();
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.Property(t => t.UserId).HasMaxLength(200);
        builder.Property(t => t.Name).HasMaxLength(200);
        builder.Property(t => t.TokenHash).HasMaxLength(64);
        builder.Property(t => t.CreatedBy).HasMaxLength(200);
        builder.Property(t => t.Scope).HasMaxLength(50);
        builder.Property(t => t.ScopeMunicipality).HasMaxLength(6);
        builder.HasOne<Decisions.Users.UserAccount>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Restrict);
    }
}
