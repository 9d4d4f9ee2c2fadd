using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Tests.Workflows;

public sealed class DefinitionFileTests
{
    private static IEnumerable<string> ShippedFiles() =>
        Directory.GetFiles(Scenario.WorkflowFolder, "*.workflow.json").Select(Path.GetFileName)!;

    [Test]
    public void The_workflows_folder_ships_the_default_definition_and_a_second_one() =>
        Assert.That(ShippedFiles(), Is.SupersetOf(new[] { "synchronized-college-decision.workflow.json", "council-view.workflow.json" }));

    [TestCaseSource(nameof(ShippedFiles))]
    public void Every_shipped_definition_is_valid_and_has_a_diagram(string file)
    {
        var definition = Scenario.Reader().Read(file, File.ReadAllText(Path.Combine(Scenario.WorkflowFolder, file)));

        Assert.That(file, Is.EqualTo($"{definition.DefinitionId}.workflow.json"), "a file is named after its definitionId");
        Assert.That(definition.ContentHash, Has.Length.EqualTo(64));
        var processDiagram = WorkflowDiagram.Mermaid(definition, MachineKind.Process);
        var itemDiagram = WorkflowDiagram.Mermaid(definition, MachineKind.Item);
        Assert.That(processDiagram, Does.StartWith("stateDiagram-v2"));
        foreach (var state in definition.Process.States)
            Assert.That(processDiagram, Does.Contain(state.Name));
        foreach (var state in definition.Item.States)
            Assert.That(itemDiagram, Does.Contain(state.Name));
    }

    [Test]
    public void The_default_diagram_shows_guards_and_the_completion_rule()
    {
        var definition = Scenario.LoadDefinitions(Scenario.WorkflowFolder).Latest("synchronized-college-decision");

        var diagram = WorkflowDiagram.Mermaid(definition, MachineKind.Process);

        Assert.That(diagram, Does.Contain("Synchronized").And.Contain("AllItemsIdentical").And.Contain("PublicationIsLater"));
    }
}

public sealed class ConcurrentReaderTests
{
    [Test]
    public void Readers_built_and_used_at_once_on_many_threads_all_read_every_definition()
    {
        var files = Directory.GetFiles(Scenario.WorkflowFolder, "*.workflow.json").Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var schema = File.ReadAllText(Path.Combine(Scenario.WorkflowFolder, "workflow.schema.json"));
        for (var round = 0; round < 40; round++)
        {
            using var start = new Barrier(8);
            var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    var reader = new WorkflowDefinitionReader<Decisions.Processes.ProcessContext>(schema, Decisions.Processes.ProcessBlocks.Create());
                    foreach (var (file, json) in files)
                        reader.Read(file, json);
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }
        Assert.That(failures.Select(f => f.Message), Is.Empty, "several hosts in one process (tests, a migration verb) each build a reader");
    }
}
