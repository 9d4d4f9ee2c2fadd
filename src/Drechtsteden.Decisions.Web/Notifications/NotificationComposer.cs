using System.Globalization;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Users;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>
/// The Dutch messages behind the notification names, each with a link to the item. Subjects are composed to fit
/// their column: a long title is shortened with an ellipsis, never the subject cut off (or refused by the database).
/// </summary>
public sealed class NotificationComposer(AppOptions app)
{
    public const string Reminder = "reminder";
    public const string Escalation = "escalation";
    public const string Risk = "risk";
    public const string Publication = "publication";
    public const string Alert = "alert";

    /// <summary>The coordinator hears what needs attention: a college diverged or deferred, an item outside the target week.</summary>
    public const string Signal = "signal";

    /// <summary>A timer failed on every attempt and was parked (to administrators).</summary>
    public const string TimerParked = "timer-parked";

    /// <summary>A message could not be delivered and was given up on (to administrators).</summary>
    public const string MessageParked = "message-parked";

    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-NL");

    public sealed record Message(string Kind, string Subject, string Body, string Link);

    /// <summary>The kinds a person may choose to read in the app only; escalations (and storingen for administrators) always go out by e-mail.</summary>
    public static readonly IReadOnlyList<string> OptionalByMail = [Reminder, Signal, Risk, Publication];

    /// <summary>Whether a message of this kind goes out by e-mail to this person.</summary>
    public static bool ByMail(string kind, UserAccount recipient) => !OptionalByMail.Contains(kind) || !recipient.MailOptOut.Contains(kind);

    public static string KindOf(string notification) => notification switch
    {
        "deadline-escalation" => Escalation,
        "no-meeting-left" => Risk,
        "publication-released" or "council-letter-ready" or "councils-informed" => Publication,
        TimerParked or MessageParked => Alert,
        ProcessStatusRules.CollegeDiverged or ProcessStatusRules.CollegeDeferred or ProcessStatusRules.OutsideTargetWeek => Signal,
        _ => Reminder,
    };

    public Message Compose(string notification, DecisionProcess process, AgendaItem? item, string? municipalityName, UserAccount recipient, string? detail = null)
    {
        var link = new Uri(app.PublicBaseUrl, $"processen/{process.Id}" + (item is null ? "" : $"#{item.MunicipalityCode}")).ToString();
        var deadline = Amsterdam.ToLocal(process.DeadlineAt.AddTicks(-1)).ToString(process.DeadlineDate is null ? "d MMMM yyyy HH:mm" : "d MMMM yyyy", Dutch);
        var college = municipalityName ?? item?.MunicipalityCode ?? "";
        var greeting = $"Beste {recipient.DisplayName},";
        const string closing = "\n\nMet vriendelijke groet,\nDrechtsteden.Decisions";
        var kind = KindOf(notification);
        return notification switch
        {
            "schedule-reminder" => new Message(kind,
                Subject("Herinnering: agendeer ‘", process.Title, $"’ vóór {deadline}"),
                $"{greeting}\n\nHet regionale voorstel ‘{process.Title}’ (zaaknummer {process.Reference}) staat nog niet op de agenda van het college van {college}. " +
                $"Alle deelnemende colleges moeten uiterlijk {deadline} gelijkluidend besluiten.\n\nKies een collegevergadering vóór die datum via de link hieronder.{closing}", link),
            "decision-reminder" => new Message(kind,
                Subject("Herinnering: leg het besluit over ‘", process.Title, "’ vast"),
                $"{greeting}\n\nDe collegevergadering van {college} op {(item?.MeetingStartsAt is { } m ? Amsterdam.ToLocal(m).ToString("d MMMM yyyy", Dutch) : "de geplande datum")} is geweest, " +
                $"maar het besluit over ‘{process.Title}’ (zaaknummer {process.Reference}) is nog niet vastgelegd.\n\nLeg het besluit vast via de link hieronder.{closing}", link),
            "deadline-escalation" => new Message(kind,
                Subject("Termijn verstreken: ‘", process.Title, "’"),
                $"{greeting}\n\nDe termijn van {deadline} voor ‘{process.Title}’ (zaaknummer {process.Reference}) is verstreken zonder dat alle colleges gelijkluidend hebben besloten.\n\n" +
                $"Nog niet gelijkluidend: {string.Join(", ", process.Items.Where(i => !process.IsIdentical(i)).Select(i => i.MunicipalityCode))}.\n\n" +
                $"Verleng de termijn met een reden, of neem contact op met de betrokken secretarissen.{closing}", link),
            "no-meeting-left" => new Message(kind,
                Subject($"Risico: {college} heeft geen collegevergadering meer vóór {deadline}", "", ""),
                $"{greeting}\n\nHet college van {college} heeft ‘{process.Title}’ (zaaknummer {process.Reference}) nog niet op de agenda en heeft vóór de termijn van {deadline} " +
                $"geen collegevergadering meer in de kalender.\n\nOverleg met de gemeentesecretaris over een extra vergadering, of verleng de termijn.{closing}", link),
            "publication-released" => new Message(kind,
                Subject("Vrijgegeven: ‘", process.Title, "’ — informeer de raad"),
                $"{greeting}\n\nAlle deelnemende colleges hebben ‘{process.Title}’ (zaaknummer {process.Reference}) gelijkluidend besloten. " +
                $"Het embargo is vanaf nu opgeheven: de besluiten zijn openbaar en de raadsinformatiebrief kan naar de raad van {college}. " +
                $"Alle gemeenten krijgen dit bericht op hetzelfde moment.\n\nHet besluit en de tekst staan achter de link hieronder.{closing}", link),
            "council-letter-ready" => new Message(kind,
                Subject("Raadsinformatiebrief voor de raad: ‘", process.Title, "’"),
                $"{greeting}\n\nAlle deelnemende colleges hebben ‘{process.Title}’ (zaaknummer {process.Reference}) gelijkluidend besloten en de besluiten zijn nu openbaar. " +
                $"De raadsinformatiebrief voor de raad van {college} staat klaar: dezelfde tekst voor alle raden, met de kop van {college}.\n\n" +
                $"Bied hem aan de raad aan en bevestig daarna via de link hieronder op welke datum dat gebeurde.{closing}", LetterLink(process, item, link)),
            "council-reminder" => new Message(kind,
                Subject("Herinnering: bied de raadsinformatiebrief ‘", process.Title, "’ aan de raad aan"),
                $"{greeting}\n\nDe raadsinformatiebrief over ‘{process.Title}’ (zaaknummer {process.Reference}) is op " +
                $"{(process.PublicationAt is { } published ? Amsterdam.ToLocal(published).ToString("d MMMM yyyy", Dutch) : "de publicatiedatum")} vrijgegeven, " +
                $"maar er is nog niet bevestigd dat de raad van {college} hem heeft ontvangen.\n\nBevestig de datum via de link hieronder.{closing}", LetterLink(process, item, link)),
            "councils-informed" => new Message(kind,
                Subject("Alle raden geïnformeerd: ‘", process.Title, "’"),
                $"{greeting}\n\nAlle griffiers hebben bevestigd dat de raadsinformatiebrief over ‘{process.Title}’ (zaaknummer {process.Reference}) aan hun raad is aangeboden. " +
                $"Het proces is afgerond.{closing}", link),
            ProcessStatusRules.CollegeDiverged => new Message(kind,
                Subject($"Afwijkend besluit van {college} over ‘", process.Title, "’"),
                $"{greeting}\n\nHet college van {college} heeft over ‘{process.Title}’ (zaaknummer {process.Reference}) " +
                $"{(item?.LatestDecision?.Outcome == DecisionOutcome.Rejected ? "het concept verworpen" : "het concept met wijzigingen vastgesteld")}" +
                $"{(item?.LatestDecision?.Reason is { Length: > 0 } why ? $" (reden: {why})" : "")}. De besluiten zijn daardoor niet meer gelijkluidend.\n\n" +
                $"Volgende stap: het concept herzien of de afwijking met de colleges bespreken. Het verschil met het concept staat achter de link hieronder.{closing}", link),
            ProcessStatusRules.CollegeDeferred => new Message(kind,
                Subject($"Aangehouden door {college}: ‘", process.Title, "’"),
                $"{greeting}\n\nHet college van {college} heeft ‘{process.Title}’ (zaaknummer {process.Reference}) aangehouden" +
                $"{(item?.LatestDecision?.Reason is { Length: > 0 } why ? $" (reden: {why})" : "")}. De gemeentesecretaris agendeert het opnieuw vóór de termijn van {deadline}.{closing}", link),
            ProcessStatusRules.OutsideTargetWeek => new Message(kind,
                Subject($"Buiten de synchrone week: {college} agendeerde ‘", process.Title, "’"),
                $"{greeting}\n\n{college} heeft ‘{process.Title}’ (zaaknummer {process.Reference}) geagendeerd op " +
                $"{(item?.MeetingStartsAt is { } at ? Amsterdam.ToLocal(at).ToString("dddd d MMMM yyyy", Dutch) : "een vergadering")}, buiten de synchrone week" +
                $"{(process.SynchronizationWindowStart is { } week ? $" (vanaf {week.ToString("d MMMM", Dutch)})" : "")}.\n\nOverleg zo nodig met de gemeentesecretaris over een datum in die week.{closing}", link),
            TimerParked => new Message(kind,
                Subject("Storing: een termijnbewaking van ‘", process.Title, "’ is stilgezet"),
                $"{greeting}\n\nEen tijdgebonden stap van ‘{process.Title}’ (zaaknummer {process.Reference}) is na herhaalde pogingen niet gelukt en is stilgezet.\n\n" +
                $"Laatste fout: {detail}\n\nBekijk en herstart hem op de beheerpagina Storingen.{closing}", new Uri(app.PublicBaseUrl, "beheer/storingen").ToString()),
            MessageParked => new Message(kind,
                Subject("Storing: een bericht over ‘", process.Title, "’ kon niet worden bezorgd"),
                $"{greeting}\n\nEen bericht over ‘{process.Title}’ (zaaknummer {process.Reference}) kon na herhaalde pogingen niet worden bezorgd.\n\n" +
                $"{detail}\n\nBekijk en verstuur het opnieuw op de beheerpagina Storingen.{closing}", new Uri(app.PublicBaseUrl, "beheer/storingen").ToString()),
            _ => throw new InvalidOperationException($"No message for notification '{notification}'."),
        };
    }

    private string LetterLink(DecisionProcess process, AgendaItem? item, string fallback) =>
        item is null ? fallback : new Uri(app.PublicBaseUrl, $"processen/{process.Id}/raadsinformatiebrief/{item.MunicipalityCode}").ToString();

    /// <summary>Prefix, title and suffix in at most <see cref="OutboxMessage.MaxSubjectLength"/> characters: the title gives way.</summary>
    public static string Subject(string prefix, string title, string suffix)
    {
        var room = OutboxMessage.MaxSubjectLength - prefix.Length - suffix.Length;
        if (room <= 1)
            return (prefix + suffix)[..Math.Min(prefix.Length + suffix.Length, OutboxMessage.MaxSubjectLength)];
        var fitted = title.Length <= room ? title : title[..(room - 1)].TrimEnd() + "…";
        return prefix + fitted + suffix;
    }
}
