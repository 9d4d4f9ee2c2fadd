using Drechtsteden.Decisions.Regions;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Data;

public sealed class DecisionsDbContext(DbContextOptions<DecisionsDbContext> options) : DbContext(options)
{
    public DbSet<Region> Regions => Set<Region>();

    public DbSet<Municipality> Municipalities => Set<Municipality>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DecisionsDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        // Enums are stored as their names: readable in SQL, in exports and in the audit trail.
        configurationBuilder.Properties<Enum>().HaveConversion<string>();
}
