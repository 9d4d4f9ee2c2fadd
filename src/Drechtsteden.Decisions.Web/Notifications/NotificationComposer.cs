using System.Globalization;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>The Dutch messages behind the definition's notification names, each with a link to the item.</summary>
public sealed class NotificationComposer(AppOptions app)
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-NL");

    public sealed record Message(string Kind, string Subject, string Body, string Link);

    public Message Compose(string notification, DecisionProcess process, AgendaItem? item, string? municipalityName, UserAccount recipient)
    {
        var link = new Uri(app.PublicBaseUrl, $"processen/{process.Id}" + (item is null ? "" : $"#{item.MunicipalityCode}")).ToString();
        var deadline = Amsterdam.ToLocal(process.DeadlineAt.AddTicks(-1)).ToString(process.DeadlineDate is null ? "d MMMM yyyy HH:mm" : "d MMMM yyyy", Dutch);
        var college = municipalityName ?? item?.MunicipalityCode ?? "";
        var greeting = $"Beste {recipient.DisplayName},";
        const string closing = "\n\nMet vriendelijke groet,\nDrechtsteden.Decisions";
        return notification switch
        {
            "schedule-reminder" => new Message("reminder",
                $"Herinnering: agendeer ‘{process.Title}’ vóór {deadline}",
                $"{greeting}\n\nHet regionale voorstel ‘{process.Title}’ (zaaknummer {process.Reference}) staat nog niet op de agenda van het college van {college}. " +
                $"Alle deelnemende colleges moeten uiterlijk {deadline} gelijkluidend besluiten.\n\nKies een collegevergadering vóór die datum via de link hieronder.{closing}", link),
            "decision-reminder" => new Message("reminder",
                $"Herinnering: leg het besluit over ‘{process.Title}’ vast",
                $"{greeting}\n\nDe collegevergadering van {college} op {(item?.MeetingStartsAt is { } m ? Amsterdam.ToLocal(m).ToString("d MMMM yyyy", Dutch) : "de geplande datum")} is geweest, " +
                $"maar het besluit over ‘{process.Title}’ (zaaknummer {process.Reference}) is nog niet vastgelegd.\n\nLeg het besluit vast via de link hieronder.{closing}", link),
            "deadline-escalation" => new Message("escalation",
                $"Termijn verstreken: ‘{process.Title}’",
                $"{greeting}\n\nDe termijn van {deadline} voor ‘{process.Title}’ (zaaknummer {process.Reference}) is verstreken zonder dat alle colleges gelijkluidend hebben besloten.\n\n" +
                $"Nog niet gelijkluidend: {string.Join(", ", process.Items.Where(i => !process.IsIdentical(i)).Select(i => i.MunicipalityCode))}.\n\n" +
                $"Verleng de termijn met een reden, of neem contact op met de betrokken secretarissen.{closing}", link),
            "no-meeting-left" => new Message("risk",
                $"Risico: {college} heeft geen collegevergadering meer vóór {deadline}",
                $"{greeting}\n\nHet college van {college} heeft ‘{process.Title}’ (zaaknummer {process.Reference}) nog niet op de agenda en heeft vóór de termijn van {deadline} " +
                $"geen collegevergadering meer in de kalender.\n\nOverleg met de gemeentesecretaris over een extra vergadering, of verleng de termijn.{closing}", link),
            "publication-released" => new Message("publication",
                $"Vrijgegeven: ‘{process.Title}’ — informeer de raad",
                $"{greeting}\n\nAlle deelnemende colleges hebben ‘{process.Title}’ (zaaknummer {process.Reference}) gelijkluidend besloten. " +
                $"Het embargo is vanaf nu opgeheven: de besluiten zijn openbaar en de raadsinformatiebrief kan naar de raad van {college}. " +
                $"Alle gemeenten krijgen dit bericht op hetzelfde moment.\n\nHet besluit en de tekst staan achter de link hieronder.{closing}", link),
            _ => throw new InvalidOperationException($"No message for notification '{notification}'."),
        };
    }
}
