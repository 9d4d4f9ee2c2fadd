using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Data;

public sealed class DecisionsDbContext(DbContextOptions<DecisionsDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>ASP.NET Core's data protection keys (cookies, antiforgery): shared by every instance through the database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Region> Regions => Set<Region>();

    public DbSet<Municipality> Municipalities => Set<Municipality>();

    public DbSet<Meeting> Meetings => Set<Meeting>();

    public DbSet<DecisionProcess> Processes => Set<DecisionProcess>();

    public DbSet<AgendaItem> AgendaItems => Set<AgendaItem>();

    public DbSet<StoredWorkflowDefinition> WorkflowDefinitions => Set<StoredWorkflowDefinition>();

    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();

    public DbSet<Audit.AuditEntry> AuditEntries => Set<Audit.AuditEntry>();

    public DbSet<Jobs.ProcessTimer> Timers => Set<Jobs.ProcessTimer>();

    public DbSet<Jobs.TimerFiring> TimerFirings => Set<Jobs.TimerFiring>();

    public DbSet<Notifications.OutboxMessage> Outbox => Set<Notifications.OutboxMessage>();

    public DbSet<Decisions.Users.UserAccount> Users => Set<Decisions.Users.UserAccount>();

    public DbSet<Auth.ApiToken> ApiTokens => Set<Auth.ApiToken>();

    /// <summary>A command's own writes (its aggregate, audit entries, timers, webhook events), sent before what EF Core tracks.</summary>
    public WriteBatch Writes { get; } = new();

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        Writes.EnsureNoneForSynchronousSave(this);
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default) =>
        await Writes.FlushAsync(this, cancellationToken) + await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);

    /// <summary>
    /// A process with everything a command or a page needs: concepts, items, decisions. Not the deadline history: it is
    /// only appended to (<see cref="DecisionProcess.DeadlineChanges"/>), and as a third collection in the one query it
    /// multiplied the rows PostgreSQL joins, sorts and sends (concepts × items' decisions × extensions: up to 256 rows
    /// for one process in the generated data instead of 128).
    /// </summary>
    public IQueryable<DecisionProcess> ProcessAggregates =>
        Processes.Include(p => p.Concepts).Include(p => p.Items).ThenInclude(i => i.Decisions).AsSplitQuery();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DecisionsDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        // Enums are stored as their names: readable in SQL, in exports and in the audit trail.
        configurationBuilder.Properties<Enum>().HaveConversion<string>();
}
