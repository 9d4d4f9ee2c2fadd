using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Workflows;

/// <summary>Definitions are stored with their hash; processes stay pinned; a changed file needs a new version.</summary>
public sealed class WorkflowCatalogTests
{
    private const string File = "synchronized-college-decision.workflow.json";
    private string _folder = "";

    [SetUp]
    public void CopyShippedDefinitions()
    {
        _folder = Directory.CreateTempSubdirectory("drechtsteden-workflows-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "workflows")))
            System.IO.File.Copy(file, Path.Combine(_folder, Path.GetFileName(file)));
    }

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    private void Edit(Action<JsonNode> change)
    {
        var path = Path.Combine(_folder, File);
        var json = JsonNode.Parse(System.IO.File.ReadAllText(path))!;
        change(json);
        System.IO.File.WriteAllText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    private static Task<int> LoadAsync(ProcessDatabase db) => db.InScopeAsync(async sp =>
    {
        await sp.GetRequiredService<WorkflowCatalog>().LoadAsync(sp.GetRequiredService<DecisionsDbContext>(), sp.GetRequiredService<Web.Audit.AuditTrail>(), TimeProvider.System);
        return 0;
    });

    [Test]
    public async Task A_running_process_stays_on_its_version_when_a_new_one_is_published()
    {
        string connectionString;
        Guid pinned;
        await using (var v1 = await ProcessDatabase.CreateAsync(_folder))
        {
            connectionString = v1.ConnectionString;
            pinned = (await v1.StartAsync()).ProcessId;
        }

        // Version 2 no longer asks a reason to cancel.
        Edit(d =>
        {
            d["version"] = d["version"]!.GetValue<int>() + 1;
            d["process"]!["transitions"]![7]!["guards"] = new JsonArray();
        });
        await using var v2 = await ProcessDatabase.CreateAsync(_folder, connectionString);
        var fresh = (await v2.StartAsync()).ProcessId;

        var old = await v2.LoadAsync(pinned);
        Assert.That((await v2.LoadAsync(fresh)).DefinitionVersion, Is.EqualTo(old.DefinitionVersion + 1));
        var refused = (await Assert.ThrowsAsync<DomainException>(() => CancelWithoutReasonAsync(v2, pinned)))!;
        Assert.That(refused.Code, Is.EqualTo("reason-required"), "the old version still runs the old process");
        await CancelWithoutReasonAsync(v2, fresh);
        Assert.That((await v2.LoadAsync(fresh)).State, Is.EqualTo("Cancelled"));
    }

    [Test]
    public async Task A_changed_file_with_an_unchanged_version_is_refused_with_a_message_to_raise_the_version()
    {
        await using var db = await ProcessDatabase.CreateAsync(_folder);
        await LoadAsync(db);

        Edit(d => d["name"] = "Stiekem gewijzigd");

        var error = (await Assert.ThrowsAsync<StartupException>(() => LoadAsync(db)))!;
        Assert.That(error.Message, Does.Contain(File).And.Contain("raise \"version\" to 6"), "the shipped file is version 5");
    }

    [Test]
    public void Every_step_a_shipped_definition_audits_has_a_Dutch_name()
    {
        var catalog = new WorkflowCatalog(new WorkflowOptions { Directory = _folder }, ProcessBlocks.Create(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<WorkflowCatalog>.Instance);
        var audited = catalog.ReadFiles()
            .SelectMany(f => f.Definition.Process.Transitions.Concat(f.Definition.Item.Transitions))
            .Select(t => t.Audit).OfType<string>().Distinct().ToList();

        Assert.That(audited, Is.Not.Empty);
        Assert.That(audited.Where(a => Web.Audit.ActionNames.Dutch(a) == a), Is.Empty, "audit names without a Dutch name in ActionNames");
    }

    [Test]
    public async Task Loading_the_same_files_again_stores_nothing_twice()
    {
        await using var db = await ProcessDatabase.CreateAsync(_folder);
        await LoadAsync(db);
        await LoadAsync(db);

        var count = await db.InScopeAsync(sp => Task.FromResult(sp.GetRequiredService<DecisionsDbContext>().WorkflowDefinitions.Count()));
        Assert.That(count, Is.EqualTo(2));
    }

    [Test]
    public async Task The_host_refuses_to_start_on_an_invalid_definition_and_names_file_and_path()
    {
        Edit(d => d["item"]!["transitions"]![1]!["guards"]![0] = "MoonIsFull");
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Decisions"] = await TestPostgres.CreateMigratedDatabaseAsync(),
            ["Workflows__Directory"] = _folder,
            ["Database__MigrateOnStart"] = "false",
        };

        await using var host = HostProcess.Start(environment);

        Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(1));
        Assert.That(host.StandardError, Does.Contain(File).And.Contain("$.item.transitions[1].guards[0]").And.Contain("unknown guard 'MoonIsFull'"));
    }

    private static Task<Web.Processes.CommandAnswer> CancelWithoutReasonAsync(ProcessDatabase db, Guid processId) =>
        db.RunAsync(processId, new CancelProcess(null), ProcessDatabase.Coordinator);
}
