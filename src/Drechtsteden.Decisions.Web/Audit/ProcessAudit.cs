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
    /// One record for the command itself (named after its trigger, with the touched resource before and after),
    /// then one per state change the engine made on its own (an item reopened, the process synchronized, …).
    /// </summary>
    public static IEnumerable<AuditRecord> RecordsFor(Snapshot? before, DecisionProcess process, CommandResult result, int status)
    {
        var after = Take(process);
        for (var i = 0; i < result.Changes.Count; i++)
        {
            var change = result.Changes[i];
            var first = i == 0;
            if (change.Machine == MachineKind.Item)
            {
                var item = process.Item(change.Subject!);
                var itemBefore = before?.Items.GetValueOrDefault(item.MunicipalityCode);
                var itemAfter = after.Items[item.MunicipalityCode];
                var (action, resource, resourceId) = first ? ItemCommand(change, item, itemBefore) : ("item.state-changed", "agendaItem", item.Id.ToString());
                yield return new AuditRecord(process.Id, action, resource, resourceId, $"{process.Reference} – {item.MunicipalityCode}",
                    process.Id, item.Id, item.MunicipalityCode, itemBefore, itemAfter, first ? result.Reason : $"{change.From} → {change.To} ({change.Trigger})", status);
            }
            else if (first)
            {
                yield return ProcessCommand(change, before, after, process, result.Reason, status);
            }
            else
            {
                yield return new AuditRecord(process.Id, "process.state-changed", "process", process.Id.ToString(), process.Reference, process.Id,
                    Before: new JsonObject { ["state"] = change.From }, After: new JsonObject { ["state"] = change.To }, Reason: $"{change.From} → {change.To} ({change.Trigger})", Status: status);
            }
        }
    }

    private static (string Action, string Resource, string ResourceId) ItemCommand(StateChange change, AgendaItem item, JsonObject? before) => change.Trigger switch
    {
        "Schedule" when before?["meetingId"] is not null => ("item.rescheduled", "agendaItem", item.Id.ToString()),
        "Schedule" => ("item.scheduled", "agendaItem", item.Id.ToString()),
        "Decide" => ("decision.recorded", "decision", item.LatestDecision!.Id.ToString()),
        "Defer" => ("item.deferred", "decision", item.LatestDecision!.Id.ToString()),
        _ => ($"item.{change.Trigger.ToLowerInvariant()}", "agendaItem", item.Id.ToString()),
    };

    private static AuditRecord ProcessCommand(StateChange change, Snapshot? before, Snapshot after, DecisionProcess process, string? reason, int status)
    {
        AuditRecord Record(string action, string resource, string resourceId, JsonObject? was, JsonObject now) =>
            new(process.Id, action, resource, resourceId, process.Reference, process.Id, Before: was, After: now, Reason: reason, Status: status);

        return change.Trigger switch
        {
            "Start" => Record("process.started", "process", process.Id.ToString(), null, StartedJson(process, after)),
            "ReviseConcept" => Record("concept.revised", "conceptVersion", process.CurrentConcept.Id.ToString(), before?.Concept, after.Concept),
            "ExtendDeadline" => Record("deadline.extended", "process", process.Id.ToString(), before?.Deadline, after.Deadline),
            "Publish" when change.To == "Published" => Record("process.published", "process", process.Id.ToString(), before?.Process, after.Process),
            "Publish" => Record("publication.planned", "process", process.Id.ToString(), before?.Process, after.Process),
            "Release" => Record("process.published", "process", process.Id.ToString(), before?.Process, after.Process),
            "Cancel" => Record("process.cancelled", "process", process.Id.ToString(), before?.Process, after.Process),
            "DeadlinePassed" => Record("process.escalated", "process", process.Id.ToString(), before?.Process, after.Process),
            _ => Record($"process.{change.Trigger.ToLowerInvariant()}", "process", process.Id.ToString(), before?.Process, after.Process),
        };
    }

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
    };

    private static JsonObject ItemJson(DecisionProcess process, AgendaItem item)
    {
        var latest = item.LatestDecision;
        return new JsonObject
        {
            ["municipality"] = item.MunicipalityCode,
            ["state"] = item.State,
            ["meetingId"] = item.MeetingId?.ToString(),
            ["meetingStartsAt"] = item.MeetingStartsAt is { } m ? Instant(m) : null,
            ["decisions"] = item.Decisions.Count,
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
