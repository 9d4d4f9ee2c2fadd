using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Tests.Workflows;

/// <summary>Broken definitions are refused, each error naming the file and the JSON path.</summary>
public sealed class DefinitionValidationTests
{
    private const string File = "broken.workflow.json";

    private static JsonNode Valid() =>
        JsonNode.Parse(System.IO.File.ReadAllText(Path.Combine(Scenario.WorkflowFolder, "synchronized-college-decision.workflow.json")))!;

    private static IReadOnlyList<DefinitionError> ErrorsOf(JsonNode definition) =>
        Assert.Throws<WorkflowDefinitionException>(() => Scenario.Reader().Read(File, definition.ToJsonString()))!.Errors;

    private static void AssertError(JsonNode definition, string path, string message)
    {
        var errors = ErrorsOf(definition);
        Assert.That(errors, Has.Some.Matches<DefinitionError>(e => e!.File == File && e.Path == path && e.Message.Contains(message, StringComparison.Ordinal)),
            string.Join("\n", errors));
    }

    [Test]
    public void Unknown_state_in_a_transition()
    {
        var d = Valid();
        d["item"]!["transitions"]![1]!["from"]![0] = "Planned";
        AssertError(d, "$.item.transitions[1].from[0]", "unknown item state 'Planned'");
    }

    [Test]
    public void Unreachable_state()
    {
        var d = Valid();
        d["item"]!["states"]!.AsArray().Add(new JsonObject { ["name"] = "Forgotten" });
        AssertError(d, "$.item.states[5]", "'Forgotten' cannot be reached");
    }

    [Test]
    public void Unknown_guard()
    {
        var d = Valid();
        d["item"]!["transitions"]![0]!["guards"]!.AsArray().Add("MoonIsFull");
        AssertError(d, "$.item.transitions[0].guards[4]", "unknown guard 'MoonIsFull'");
    }

    [Test]
    public void Unknown_action()
    {
        var d = Valid();
        d["process"]!["transitions"]![7]!["actions"]![0] = "SendFax";
        AssertError(d, "$.process.transitions[7].actions[0]", "unknown action 'SendFax'");
    }

    [Test]
    public void Duplicate_transition()
    {
        var d = Valid();
        d["item"]!["transitions"]!.AsArray().Add(d["item"]!["transitions"]![1]!.DeepClone());
        AssertError(d, "$.item.transitions[7]", "duplicate transition");
    }

    [Test]
    public void Timer_on_an_unknown_state()
    {
        var d = Valid();
        d["timers"]![0]!["activeIn"]!["item"]![0] = "Waiting";
        AssertError(d, "$.timers[0].activeIn.item[0]", "unknown item state 'Waiting'");
    }

    [Test]
    public void Timer_that_fires_an_unknown_trigger()
    {
        var d = Valid();
        d["timers"]![2]!["trigger"] = "Explode";
        AssertError(d, "$.timers[2].trigger", "no trigger 'Explode'");
    }

    [Test]
    public void Completion_into_an_unknown_state()
    {
        var d = Valid();
        d["completion"]!["state"] = "Done";
        AssertError(d, "$.completion.state", "unknown process state 'Done'");
    }

    [Test]
    public void Schema_violation_names_the_path()
    {
        var d = Valid();
        d["version"] = "one";
        AssertError(d, "$.version", "");
    }

    [Test]
    public void Missing_required_field_is_a_schema_error()
    {
        var d = Valid();
        d.AsObject().Remove("name");
        var errors = ErrorsOf(d);
        Assert.That(errors, Has.Some.Matches<DefinitionError>(e => e!.File == File && e.Path == "$" && e.Message.Contains("name", StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [Test]
    public void Invalid_json_names_the_line()
    {
        var errors = Assert.Throws<WorkflowDefinitionException>(() => Scenario.Reader().Read(File, "{\n  \"definitionId\": \"x\",\n  oops\n}"))!.Errors;
        Assert.That(errors.Single().Path, Is.EqualTo("line 3"));
        Assert.That(errors.Single().Message, Does.Contain("not valid JSON"));
    }
}
