using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Json.Schema;

namespace Drechtsteden.Decisions.Workflows;

/// <summary>One thing wrong with a definition file: the file, where in it (a JSON path), and what.</summary>
public sealed record DefinitionError(string File, string Path, string Message)
{
    public override string ToString() => $"{File}: {Path}: {Message}";
}

public sealed class WorkflowDefinitionException(IReadOnlyList<DefinitionError> errors)
    : Exception("Invalid workflow definition:\n" + string.Join("\n", errors))
{
    public IReadOnlyList<DefinitionError> Errors { get; } = errors;
}

/// <summary>
/// Reads a definition file: valid JSON, valid against workflow.schema.json, and semantically sound for the engine's
/// building blocks (no unknown or unreachable state, no unknown guard or action, no duplicate transition, no timer on
/// an unknown state). Every error names the file and the JSON path.
/// </summary>
public sealed class WorkflowDefinitionReader<TContext>(string schemaJson, WorkflowBlocks<TContext> blocks)
{
    // A registry of its own: several readers built at once (several hosts in one process) do not share the global one.
    private readonly JsonSchema _schema = JsonSchema.FromText(schemaJson, new BuildOptions { SchemaRegistry = new SchemaRegistry() });

    public WorkflowDefinition Read(string file, string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new WorkflowDefinitionException([new DefinitionError(file, $"line {e.LineNumber + 1}", $"not valid JSON: {e.Message}")]);
        }
        using (document)
        {
            var results = _schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (!results.IsValid)
                throw new WorkflowDefinitionException(SchemaErrors(file, results));
        }

        var definition = JsonSerializer.Deserialize<WorkflowDefinition>(json, WorkflowJson.JsonOptions)!
            with
            {
                Json = json,
                ContentHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json))).ToLowerInvariant(),
            };
        var errors = Check(file, definition);
        return errors.Count == 0 ? WithDefaults(definition) : throw new WorkflowDefinitionException(errors);
    }

    /// <summary>
    /// What a definition may leave out, filled in: each command fires the trigger of its own name when the machine has
    /// one; the embargo lifts in the final states the publish command leads to; the states only automatic transitions
    /// and the completion rule lead to reveal the decisions; each step's audit name. Versions 1 and 2
    /// of the default definition predate these fields and keep the audit names the host gave their steps.
    /// </summary>
    private static WorkflowDefinition WithDefaults(WorkflowDefinition definition)
    {
        var commands = new Dictionary<string, string>(definition.Commands, StringComparer.Ordinal);
        foreach (var command in WorkflowCommands.All.Where(c => !commands.ContainsKey(c)))
        {
            var trigger = WorkflowCommands.DefaultTrigger(command);
            if (definition.Machine(WorkflowCommands.MachineOf(command)).Transitions.Any(t => t.Trigger == trigger))
                commands[command] = trigger;
        }
        var process = definition.Process;
        if (!process.States.Any(s => s.EmbargoLifted) && commands.TryGetValue(WorkflowCommands.Publish, out var publish))
        {
            var published = process.Transitions.Where(t => t.Trigger == publish && t.To is { } to && process.IsFinal(to)).Select(t => t.To!).ToHashSet(StringComparer.Ordinal);
            process = process with { States = [.. process.States.Select(s => published.Contains(s.Name) ? s with { EmbargoLifted = true } : s)] };
        }
        if (!process.States.Any(s => s.RevealsDecisions))
        {
            // A state only the engine's own evaluation of the decisions leads to (automatic transitions and the
            // completion rule; no command, no timer) reveals them: Diverged and Synchronized in the default definition.
            var completion = definition.Completion.State;
            var revealing = process.States
                .Where(s => !s.Final && s.Name != process.InitialState)
                .Where(s => process.Transitions.Where(t => t.To == s.Name).ToList() is var into
                    && (into.Count > 0 || s.Name == completion) && into.All(t => t.Automatic))
                .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            process = process with { States = [.. process.States.Select(s => revealing.Contains(s.Name) ? s with { RevealsDecisions = true } : s)] };
        }
        return definition with
        {
            Commands = commands,
            Process = WithAuditNames(process, MachineKind.Process),
            Item = WithAuditNames(definition.Item, MachineKind.Item),
        };
    }

    private static MachineDefinition WithAuditNames(MachineDefinition machine, MachineKind kind) => machine with
    {
        Transitions = [.. machine.Transitions.Select(t => t.Audit is not null || t.Trigger is not { } trigger ? t : t with { Audit = LegacyAuditName(machine, kind, t, trigger) })],
    };

    private static string LegacyAuditName(MachineDefinition machine, MachineKind kind, TransitionDefinition transition, string trigger) => trigger switch
    {
        "Schedule" => "item.scheduled",
        "Decide" => "decision.recorded",
        "Defer" => "item.deferred",
        "ReviseConcept" => "concept.revised",
        "ExtendDeadline" => "deadline.extended",
        "Publish" => transition.To is { } to && machine.IsFinal(to) ? "process.published" : "publication.planned",
        "Release" => "process.published",
        "Cancel" => "process.cancelled",
        "DeadlinePassed" => "process.escalated",
        _ => $"{(kind == MachineKind.Process ? "process" : "item")}.{KebabCase(trigger)}",
    };

    private static string KebabCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static List<DefinitionError> SchemaErrors(string file, EvaluationResults results)
    {
        var errors = (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => new DefinitionError(file, WorkflowJson.ToJsonPath(d.InstanceLocation.ToString()), e.Value)))
            .Distinct()
            .ToList();
        return errors.Count > 0 ? errors : [new DefinitionError(file, "$", "does not match workflow.schema.json")];
    }

    private List<DefinitionError> Check(string file, WorkflowDefinition definition)
    {
        var errors = new List<DefinitionError>();
        void Error(string path, string message) => errors.Add(new DefinitionError(file, path, message));

        CheckMachine(definition.Process, "$.process", "process", Error, definition.Completion);
        CheckMachine(definition.Item, "$.item", "item", Error, null);

        var completion = definition.Completion;
        if (!blocks.HasGuard(completion.Rule))
            Error("$.completion.rule", $"unknown guard '{completion.Rule}'");
        if (definition.Process.State(completion.State) is null)
            Error("$.completion.state", $"unknown process state '{completion.State}'");
        for (var i = 0; i < completion.From.Count; i++)
        {
            if (definition.Process.State(completion.From[i]) is null)
                Error($"$.completion.from[{i}]", $"unknown process state '{completion.From[i]}'");
        }

        foreach (var (command, trigger) in definition.Commands)
        {
            if (!WorkflowCommands.All.Contains(command))
                Error($"$.commands.{command}", $"unknown command '{command}'; the host knows {string.Join(", ", WorkflowCommands.All)}");
            else if (!definition.Machine(WorkflowCommands.MachineOf(command)).Transitions.Any(t => t.Trigger == trigger))
                Error($"$.commands.{command}", $"the {WorkflowCommands.MachineOf(command).ToString().ToLowerInvariant()} has no trigger '{trigger}'");
        }
        for (var r = 0; r < definition.Start.Roles.Count; r++)
        {
            if (!Enum.TryParse<Role>(definition.Start.Roles[r], out _))
                Error($"$.start.roles[{r}]", $"unknown role '{definition.Start.Roles[r]}'");
        }

        var timerIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < definition.Timers.Count; i++)
        {
            var timer = definition.Timers[i];
            var path = $"$.timers[{i}]";
            if (!timerIds.Add(timer.Id))
                Error($"{path}.id", $"duplicate timer id '{timer.Id}'");
            if (!blocks.HasAnchor(timer.RelativeTo))
                Error($"{path}.relativeTo", $"unknown anchor '{timer.RelativeTo}'");
            if (timer.Notification is { } notification && !blocks.HasNotification(notification))
                Error($"{path}.notification", $"unknown notification '{notification}'");
            if (timer.Trigger is { } trigger && !definition.Machine(timer.Scope).Transitions.Any(t => t.Trigger == trigger))
                Error($"{path}.trigger", $"the {timer.Scope.ToString().ToLowerInvariant()} has no trigger '{trigger}'");
            for (var s = 0; s < timer.ActiveIn.Process.Count; s++)
            {
                if (definition.Process.State(timer.ActiveIn.Process[s]) is null)
                    Error($"{path}.activeIn.process[{s}]", $"unknown process state '{timer.ActiveIn.Process[s]}'");
            }
            for (var s = 0; s < timer.ActiveIn.Item.Count; s++)
            {
                if (definition.Item.State(timer.ActiveIn.Item[s]) is null)
                    Error($"{path}.activeIn.item[{s}]", $"unknown item state '{timer.ActiveIn.Item[s]}'");
            }
            if (timer.Scope == MachineKind.Process && timer.ActiveIn.Item.Count > 0)
                Error($"{path}.activeIn.item", "a process timer cannot depend on item states");
        }
        return errors;
    }

    private void CheckMachine(MachineDefinition machine, string path, string name, Action<string, string> error, CompletionDefinition? completion)
    {
        var states = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < machine.States.Count; i++)
        {
            if (!states.Add(machine.States[i].Name))
                error($"{path}.states[{i}].name", $"duplicate state '{machine.States[i].Name}'");
            for (var n = 0; n < machine.States[i].Notify.Count; n++)
            {
                var notify = machine.States[i].Notify[n];
                if (!blocks.HasNotification(notify.Notification))
                    error($"{path}.states[{i}].notify[{n}].notification", $"unknown notification '{notify.Notification}'");
                if (name == "item" && notify.Scope == MachineKind.Process)
                    error($"{path}.states[{i}].notify[{n}].scope", "an item state notifies for its item only");
            }
        }
        if (!states.Contains(machine.InitialState))
            error($"{path}.initialState", $"unknown {name} state '{machine.InitialState}'");

        var seen = new List<(string Key, HashSet<string> From, int Index)>();
        for (var i = 0; i < machine.Transitions.Count; i++)
        {
            var t = machine.Transitions[i];
            var tPath = $"{path}.transitions[{i}]";
            for (var f = 0; f < t.From.Count; f++)
            {
                if (!states.Contains(t.From[f]))
                    error($"{tPath}.from[{f}]", $"unknown {name} state '{t.From[f]}'");
                else if (machine.IsFinal(t.From[f]))
                    error($"{tPath}.from[{f}]", $"'{t.From[f]}' is final: nothing leaves it");
            }
            if (t.To is not null && !states.Contains(t.To))
                error($"{tPath}.to", $"unknown {name} state '{t.To}'");
            for (var g = 0; g < t.Guards.Count; g++)
            {
                if (!blocks.HasGuard(t.Guards[g]))
                    error($"{tPath}.guards[{g}]", $"unknown guard '{t.Guards[g]}'");
            }
            for (var a = 0; a < t.Actions.Count; a++)
            {
                if (!blocks.HasAction(t.Actions[a]))
                    error($"{tPath}.actions[{a}]", $"unknown action '{t.Actions[a]}'");
            }
            // Same trigger (or both automatic), overlapping source states and the same guards: the second can never be told apart.
            var key = (t.Automatic ? "(automatic)" : t.Trigger) + "|" + string.Join(",", t.Guards.Order(StringComparer.Ordinal));
            var from = t.From.ToHashSet(StringComparer.Ordinal);
            foreach (var earlier in seen.Where(s => s.Key == key && s.From.Overlaps(from)))
                error(tPath, $"duplicate transition: same trigger, guards and source state as {path}.transitions[{earlier.Index}]");
            seen.Add((key, from, i));
        }

        var reachable = new HashSet<string>(StringComparer.Ordinal) { machine.InitialState };
        var queue = new Queue<string>(reachable);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            var targets = machine.Transitions.Where(t => t.From.Contains(current)).Select(t => t.TargetFrom(current)).ToList();
            if (completion is not null && completion.From.Contains(current))
                targets.Add(completion.State);
            foreach (var target in targets.Where(reachable.Add))
                queue.Enqueue(target);
        }
        for (var i = 0; i < machine.States.Count; i++)
        {
            if (!reachable.Contains(machine.States[i].Name))
                error($"{path}.states[{i}]", $"state '{machine.States[i].Name}' cannot be reached from '{machine.InitialState}'");
        }
    }
}

/// <summary>How definition files are read, and how their locations are named in errors.</summary>
public static class WorkflowJson
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(), new HourMinuteConverter() },
        AllowTrailingCommas = false,
    };

    /// <summary>"/item/transitions/3/guards/1" → "$.item.transitions[3].guards[1]".</summary>
    public static string ToJsonPath(string jsonPointer)
    {
        var path = new StringBuilder("$");
        foreach (var segment in jsonPointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var unescaped = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (int.TryParse(unescaped, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                path.Append('[').Append(unescaped).Append(']');
            else
                path.Append('.').Append(unescaped);
        }
        return path.ToString();
    }

    /// <summary>"09:00" in the files; System.Text.Json alone wants seconds too.</summary>
    private sealed class HourMinuteConverter : JsonConverter<TimeOnly>
    {
        public override TimeOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeOnly.ParseExact(reader.GetString()!, "HH:mm", CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, TimeOnly value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("HH:mm", CultureInfo.InvariantCulture));
    }
}
