using System.Globalization;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>Before/after pictures of a process, and the audit records a command on it produces.</summary>
public static class ProcessAudit
{
    public sealed record Snapshot(JsonObject Process, IReadOnlyDictionary<string, JsonObject> Items, JsonObject Concept, JsonObject Deadline);

    public static Snapshot Take(DecisionProcess process) => new(
        ProcessJson(process),
        process.Items.ToDictionary(i => i.MunicipalityCode, i => ItemJson(process, i), StringComparer.Ordinal),
        ConceptJson(process.CurrentConcept),
        DeadlineJson(process));

    /// <summary>
    /// One record for the command itself — named by the step the definition says it took, about what it touched (a
    /// decision, a concept version, the deadline, the item or the process) before and after — then one per state change
    /// the engine made on its own (an item reopened, the process synchronized, …).
    /// </summary>
    public static IEnumerable<AuditRecord> RecordsFor(Snapshot? before, DecisionProcess process, ProcessOutcome outcome, int status)
    {
        var after = Take(process);
        for (var i = 0; i < outcome.Changes.Count; i++)
        {
            var change = outcome.Changes[i];
            var action = i == 0 ? change.Audit ?? $"{(change.Machine == MachineKind.Item ? "item" : "process")}.{change.Trigger.ToLowerInvariant()}" : null;
            if (change.Machine == MachineKind.Item)
            {
                var item = process.Item(change.Subject!);
                var itemBefore = before?.Items.GetValueOrDefault(item.MunicipalityCode);
                var itemAfter = after.Items[item.MunicipalityCode];
                var decided = action is not null && item.Decisions.Count > (itemBefore?["decisions"]?.GetValue<int>() ?? 0);
                yield return new AuditRecord(process.Id, action ?? "item.state-changed", decided ? "decision" : "agendaItem",
                    decided ? item.LatestDecision!.Id.ToString() : item.Id.ToString(), $"{process.Reference} – {item.MunicipalityCode}",
                    process.Id, item.Id, item.MunicipalityCode, itemBefore, itemAfter, action is not null ? outcome.Reason : $"{change.From} → {change.To} ({change.Trigger})", status);
            }
            else if (action is not null)
            {
                yield return ProcessCommand(action, before, after, process, outcome.Reason, status);
            }
            else
            {
                yield return new AuditRecord(process.Id, "process.state-changed", "process", process.Id.ToString(), process.Reference, process.Id,
                    Before: new JsonObject { ["state"] = change.From }, After: new JsonObject { ["state"] = change.To }, Reason: $"{change.From} → {change.To} ({change.Trigger})", Status: status);
            }
        }
    }

    /// <summary>What a process command touched, read from the data it changed: a new concept version, the deadline, or the process.</summary>
    private static AuditRecord ProcessCommand(string action, Snapshot? before, Snapshot after, DecisionProcess process, string? reason, int status)
    {
        AuditRecord Record(string resource, string resourceId, JsonObject? was, JsonObject now) =>
            new(process.Id, action, resource, resourceId, process.Reference, process.Id, Before: was, After: now, Reason: reason, Status: status);

        if (before is null)
            return Record("process", process.Id.ToString(), null, StartedJson(process, after));
        if (!JsonNode.DeepEquals(before.Concept, after.Concept))
            return Record("conceptVersion", process.CurrentConcept.Id.ToString(), before.Concept, after.Concept);
        if (before.Deadline["deadline"]?.GetValue<string>() != after.Deadline["deadline"]?.GetValue<string>())
            return Record("process", process.Id.ToString(), before.Deadline, after.Deadline);
        return Record("process", process.Id.ToString(), before.Process, after.Process);
    }

    /// <summary>
    /// A meeting the item is on moved: the item's meeting time followed it. Recorded on the process's chain by whoever
    /// moved the meeting, so the process's own history shows why its item's date changed.
    /// </summary>
    public static AuditRecord MeetingMoved(DecisionProcess process, AgendaItem item, JsonObject before, string? note) =>
        new(process.Id, "item.meeting-moved", "agendaItem", item.Id.ToString(), $"{process.Reference} – {item.MunicipalityCode}",
            process.Id, item.Id, item.MunicipalityCode, before, ItemJson(process, item), note);

    private static JsonObject StartedJson(DecisionProcess process, Snapshot after)
    {
        var json = after.Process.DeepClone().AsObject();
        json["concept"] = after.Concept.DeepClone();
        json["participants"] = new JsonArray(process.Items.Select(i => (JsonNode?)JsonValue.Create(i.MunicipalityCode)).ToArray());
        return json;
    }

    private static JsonObject ProcessJson(DecisionProcess p) => new()
    {
        ["state"] = p.State,
        ["title"] = p.Title,
        ["reference"] = p.Reference,
        ["region"] = p.RegionCode,
        ["definition"] = $"{p.DefinitionId}@{p.DefinitionVersion}",
        ["deadline"] = Instant(p.DeadlineAt),
        ["deadlineDate"] = p.DeadlineDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["synchronizationWindowStart"] = p.SynchronizationWindowStart?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["conceptVersion"] = p.CurrentConcept.Number,
        ["publicationAt"] = p.PublicationAt is { } at ? Instant(at) : null,
        ["cancellationReason"] = p.CancellationReason,
    };

    private static JsonObject DeadlineJson(DecisionProcess p) => new()
    {
        ["deadline"] = Instant(p.DeadlineAt),
        ["deadlineDate"] = p.DeadlineDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["state"] = p.State,
    };

    private static JsonObject ConceptJson(ConceptVersion c) => new()
    {
        ["number"] = c.Number,
        ["text"] = c.Text,
        ["documentUrl"] = c.DocumentUrl,
        ["note"] = c.Note,
        ["councilLetterHash"] = c.CouncilLetter is { } letter ? CouncilLetter.BodyHash(letter) : null,
    };

    public static JsonObject ItemJson(DecisionProcess process, AgendaItem item)
    {
        var latest = item.LatestDecision;
        return new JsonObject
        {
            ["municipality"] = item.MunicipalityCode,
            ["state"] = item.State,
            ["meetingId"] = item.MeetingId?.ToString(),
            ["meetingStartsAt"] = item.MeetingStartsAt is { } m ? Instant(m) : null,
            ["decisions"] = item.Decisions.Count,
            ["councilInformedOn"] = item.CouncilInformedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["councilLink"] = item.CouncilLink,
            ["latestDecision"] = latest is null ? null : new JsonObject
            {
                ["sequence"] = latest.Sequence,
                ["conceptVersion"] = latest.ConceptVersion,
                ["outcome"] = latest.Outcome.ToString(),
                ["text"] = latest.Text,
                ["decidedOn"] = latest.DecidedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["reason"] = latest.Reason,
                ["identical"] = process.IsIdentical(item),
            },
        };
    }

    private static string Instant(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
