using System.Globalization;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Processes;

namespace Drechtsteden.Decisions.Web.Webhooks;

/// <summary>
/// Which events a command's outcome makes, read from the steps it took (their audit names, which the definition gives):
/// a process started, an item scheduled (or moved), a decision recorded, the process published, a council informed.
/// A decision's event says that a college decided, not what: its outcome and text are embargoed until the
/// publication, whose event carries every college's decision.
/// </summary>
public static class WebhookEvents
{
    public static IEnumerable<WebhookEvent> From(DecisionProcess process, ProcessOutcome outcome, DateTimeOffset now)
    {
        foreach (var change in outcome.Changes)
        {
            var type = change.Audit switch
            {
                "process.started" => WebhookEventTypes.ProcessStarted,
                "item.scheduled" or "item.rescheduled" => WebhookEventTypes.ItemScheduled,
                "decision.recorded" => WebhookEventTypes.DecisionRecorded,
                "process.published" => WebhookEventTypes.ProcessPublished,
                "council.informed" => WebhookEventTypes.CouncilInformed,
                _ => null,
            };
            if (type is null)
                continue;
            var item = change.Subject is { } code ? process.Item(code) : null;
            yield return new WebhookEvent
            {
                Id = Guid.CreateVersion7(now),
                Type = type,
                ProcessId = process.Id,
                Subject = item?.MunicipalityCode ?? process.Id.ToString("D"),
                OccurredAt = now,
                Data = Data(type, process, item).ToJsonString(),
            };
        }
    }

    private static JsonObject Data(string type, DecisionProcess process, AgendaItem? item)
    {
        var data = new JsonObject { ["processId"] = process.Id.ToString("D"), ["reference"] = process.Reference, ["title"] = process.Title };
        if (item is not null)
            data["municipality"] = item.MunicipalityCode;
        switch (type)
        {
            case WebhookEventTypes.ProcessStarted:
                data["region"] = process.RegionCode;
                data["deadline"] = Instant(process.DeadlineAt);
                data["participants"] = new JsonArray([.. process.Items.Select(i => (JsonNode?)JsonValue.Create(i.MunicipalityCode))]);
                data["conceptVersion"] = process.CurrentConcept.Number;
                break;
            case WebhookEventTypes.ItemScheduled:
                data["meetingStartsAt"] = item?.MeetingStartsAt is { } at ? Instant(at) : null;
                break;
            case WebhookEventTypes.DecisionRecorded:
                // That the college decided, on which version and when; what it decided is embargoed until the publication.
                data["sequence"] = item?.LatestDecision?.Sequence;
                data["conceptVersion"] = item?.LatestDecision?.ConceptVersion;
                break;
            case WebhookEventTypes.ProcessPublished:
                data["publishedAt"] = process.PublicationAt is { } published ? Instant(published) : null;
                data["conceptVersion"] = process.CurrentConcept.Number;
                data["councilLetterHash"] = process.CurrentConcept.CouncilLetter is { } letter ? CouncilLetter.BodyHash(letter) : null;
                data["decisions"] = new JsonArray([.. process.Items.OrderBy(i => i.MunicipalityCode, StringComparer.Ordinal).Select(i => (JsonNode?)new JsonObject
                {
                    ["municipality"] = i.MunicipalityCode,
                    ["outcome"] = i.LatestDecision?.Outcome.ToString(),
                    ["conceptVersion"] = i.LatestDecision?.ConceptVersion,
                    ["decidedOn"] = i.LatestDecision?.DecidedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["identical"] = process.IsIdentical(i),
                })]);
                break;
            case WebhookEventTypes.CouncilInformed:
                data["informedOn"] = item?.CouncilInformedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                data["link"] = item?.CouncilLink;
                break;
        }
        return data;
    }

    private static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
