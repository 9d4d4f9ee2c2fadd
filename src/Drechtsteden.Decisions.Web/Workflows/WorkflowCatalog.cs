using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Drechtsteden.Decisions.Web.Workflows;

public sealed class WorkflowOptions
{
    public const string Section = "Workflows";

    /// <summary>Folder with *.workflow.json and workflow.schema.json; default: workflows/ next to the host's binaries.</summary>
    public string Directory { get; set; } = Path.Combine(AppContext.BaseDirectory, "workflows");
}

/// <summary>
/// The workflow definitions the host knows. At start-up every file is validated (the host refuses to start on an
/// invalid one); each version is then stored in PostgreSQL with its content hash, and all stored versions are loaded,
/// so a process keeps running on the version it started with after a newer one is published. A file whose content
/// changed while its version did not is refused: raise the version.
/// </summary>
public sealed class WorkflowCatalog(WorkflowOptions options, WorkflowBlocks<ProcessContext> blocks, ILogger<WorkflowCatalog> logger) : IWorkflowDefinitions, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile WorkflowDefinitionSet? _loaded;
    private WorkflowDefinitionReader<ProcessContext>? _reader;

    public IEnumerable<WorkflowDefinition> All => Loaded.All;

    public void Dispose() => _gate.Dispose();

    /// <summary>
    /// Stores a new version and its audit entry in one transaction. Another instance may store the same version at
    /// the same moment; the primary key settles it, and only the one that stored it records it.
    /// </summary>
    private async Task StoreAsync(DecisionsDbContext db, AuditTrail audit, string file, WorkflowDefinition definition, TimeProvider clock, CancellationToken cancellationToken)
    {
        await audit.InTransactionAsync(async () =>
        {
            var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO workflow_definitions (definition_id, version, name, content_hash, json, source_file, loaded_at) VALUES ({definition.DefinitionId}, {definition.Version}, {definition.Name}, {definition.ContentHash}, {definition.Json}, {file}, {clock.GetUtcNow()}) ON CONFLICT DO NOTHING",
                cancellationToken);
            if (inserted == 1)
            {
                await audit.AppendAsync(Actor.SystemActor, new AuditRecord(AuditEntry.SystemChain, "workflow-definition.loaded", "workflowDefinition",
                    $"{definition.DefinitionId}@{definition.Version}", definition.Name,
                    After: new JsonObject { ["definitionId"] = definition.DefinitionId, ["version"] = definition.Version, ["contentHash"] = definition.ContentHash, ["file"] = file },
                    Status: StatusCodes.Status201Created), cancellationToken);
                logger.LogInformation("Stored workflow definition {DefinitionId} v{Version} from {File}", definition.DefinitionId, definition.Version, file);
            }
        }, cancellationToken);
    }

    private WorkflowDefinitionSet Loaded => _loaded ?? throw new InvalidOperationException("The workflow definitions have not been loaded from the database yet.");

    public bool IsLoaded => _loaded is not null;

    public WorkflowDefinition Find(string definitionId, int version) => Loaded.Find(definitionId, version);

    /// <summary>The names of the process states, in any stored definition, that satisfy <paramref name="rule"/>: what a query filters on.</summary>
    public List<string> ProcessStates(Func<StateDefinition, bool> rule) =>
        [.. All.SelectMany(d => d.Process.States.Where(rule).Select(s => s.Name)).Distinct(StringComparer.Ordinal)];

    /// <summary>States in which the decisions are public (the embargo is lifted).</summary>
    public List<string> PublishedStates => ProcessStates(s => s.EmbargoLifted);

    /// <summary>States in which a process ended without its decisions being published (cancelled, withdrawn, expired).</summary>
    public List<string> EndedUnpublishedStates => ProcessStates(s => s.Final && !s.EmbargoLifted);

    public WorkflowDefinition Latest(string definitionId) => Loaded.Latest(definitionId);

    /// <summary>The schema is compiled once and serves both the files and the stored versions.</summary>
    private WorkflowDefinitionReader<ProcessContext> Reader()
    {
        if (_reader is not null)
            return _reader;
        var schemaFile = Path.Combine(options.Directory, "workflow.schema.json");
        if (!File.Exists(schemaFile))
            throw new StartupException($"No workflow definitions: {schemaFile} does not exist. Set Workflows__Directory to the folder with *.workflow.json.");
        return _reader = new WorkflowDefinitionReader<ProcessContext>(File.ReadAllText(schemaFile), blocks);
    }

    /// <summary>Reads and validates every definition file; all errors of all files in one exception.</summary>
    public IReadOnlyList<(string File, WorkflowDefinition Definition)> ReadFiles()
    {
        var reader = Reader();
        var definitions = new List<(string, WorkflowDefinition)>();
        var errors = new List<DefinitionError>();
        foreach (var path in System.IO.Directory.GetFiles(options.Directory, "*.workflow.json").Order(StringComparer.Ordinal))
        {
            var file = Path.GetFileName(path);
            try
            {
                definitions.Add((file, reader.Read(file, File.ReadAllText(path))));
            }
            catch (WorkflowDefinitionException e)
            {
                errors.AddRange(e.Errors);
            }
        }
        foreach (var duplicate in definitions.GroupBy(d => (d.Item2.DefinitionId, d.Item2.Version)).Where(g => g.Count() > 1))
            errors.Add(new DefinitionError(duplicate.Last().Item1, "$.version", $"'{duplicate.Key.DefinitionId}' version {duplicate.Key.Version} is also defined in {duplicate.First().Item1}"));
        if (errors.Count > 0)
            throw new StartupException("Invalid workflow definition(s), the host does not start: " + string.Join("; ", errors));
        return definitions;
    }

    /// <summary>Stores new definition versions and loads every stored version. Safe to run on several instances at once.</summary>
    public async Task LoadAsync(DecisionsDbContext db, AuditTrail audit, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var files = ReadFiles();
            foreach (var (file, definition) in files)
            {
                var stored = await db.WorkflowDefinitions.AsNoTracking()
                    .FirstOrDefaultAsync(d => d.DefinitionId == definition.DefinitionId && d.Version == definition.Version, cancellationToken);
                if (stored is null)
                {
                    await StoreAsync(db, audit, file, definition, clock, cancellationToken);
                    stored = await db.WorkflowDefinitions.AsNoTracking()
                        .FirstAsync(d => d.DefinitionId == definition.DefinitionId && d.Version == definition.Version, cancellationToken);
                }
                if (stored.ContentHash != definition.ContentHash)
                {
                    throw new StartupException(
                        $"workflows/{file}: '{definition.DefinitionId}' version {definition.Version} differs from the version stored on {stored.LoadedAt:yyyy-MM-dd} " +
                        $"(hash {stored.ContentHash[..12]}…, file {definition.ContentHash[..12]}…). A published version never changes: raise \"version\" to {definition.Version + 1}.");
                }
            }

            var reader = Reader();
            var set = new WorkflowDefinitionSet();
            foreach (var stored in await db.WorkflowDefinitions.AsNoTracking().ToListAsync(cancellationToken))
                set.Add(reader.Read($"{stored.SourceFile} (stored v{stored.Version})", stored.Json));
            _loaded = set;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Validates the files when the host starts and loads them into the database when it can.</summary>
internal sealed class WorkflowCatalogStartup(WorkflowCatalog catalog, IServiceScopeFactory scopes, TimeProvider clock, ILogger<WorkflowCatalogStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        catalog.ReadFiles();
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            await catalog.LoadAsync(scope.ServiceProvider.GetRequiredService<DecisionsDbContext>(), scope.ServiceProvider.GetRequiredService<AuditTrail>(), clock, cancellationToken);
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e) && e is not StartupException)
        {
            // Readiness reports the database (or its missing migrations); the first command loads the definitions once it is back.
            logger.LogWarning("Workflow definitions not loaded yet, the database is not ready: {Reason}", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class WorkflowCatalogExtensions
{
    public static IServiceCollection AddWorkflows(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(WorkflowOptions.Section).Get<WorkflowOptions>() ?? new WorkflowOptions();
        services.AddSingleton(options);
        services.AddSingleton(_ => ProcessBlocks.Create());
        services.AddSingleton(sp => new WorkflowEngine<ProcessContext>(sp.GetRequiredService<WorkflowBlocks<ProcessContext>>()));
        services.AddSingleton<WorkflowCatalog>();
        services.AddSingleton<IWorkflowDefinitions>(sp => sp.GetRequiredService<WorkflowCatalog>());
        services.AddSingleton<DecisionWorkflow>();
        services.AddHostedService<WorkflowCatalogStartup>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
