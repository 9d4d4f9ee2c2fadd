using System.Globalization;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// The Dutch words of the pages: dates, roles, outcomes, states (from the workflow definition's display names) and
/// the domain's refusals by their stable code. The API keeps its English sentences; a code without a Dutch text
/// here falls back to that sentence rather than to nothing.
/// </summary>
public static class UiText
{
    public static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-NL");

    public static string Date(DateOnly date) => date.ToString("dddd d MMMM yyyy", Dutch);

    public static string ShortDate(DateOnly date) => date.ToString("d MMM yyyy", Dutch);

    public static string Date(DateTimeOffset instant) => Date(Amsterdam.DateOf(instant));

    public static string DateTime(DateTimeOffset instant) =>
        TimeZoneInfo.ConvertTime(instant, Amsterdam.Zone).ToString("d MMMM yyyy HH:mm", Dutch);

    public static string Time(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Amsterdam.Zone).ToString("HH:mm", Dutch);

    /// <summary>A date deadline is its day (it ends at midnight after it); an instant deadline is its date and time.</summary>
    public static string Deadline(DateOnly? date, DateTimeOffset at, bool brief = false) =>
        date is { } day ? (brief ? ShortDate(day) : Date(day)) : brief ? TimeZoneInfo.ConvertTime(at, Amsterdam.Zone).ToString("d MMM yyyy HH:mm", Dutch) : DateTime(at);

    public static string Role(Role role) => role switch
    {
        Decisions.Role.Coordinator => "Regiecoördinator",
        Decisions.Role.Secretary => "Gemeentesecretaris",
        Decisions.Role.College => "College (bestuurssecretaris)",
        Decisions.Role.Griffier => "Griffier",
        Decisions.Role.Auditor => "Controleur",
        Decisions.Role.Admin => "Beheerder",
        _ => "Systeem",
    };

    public static string Outcome(DecisionOutcome outcome) => outcome switch
    {
        DecisionOutcome.Adopted => "Vastgesteld",
        DecisionOutcome.AdoptedWithAmendments => "Vastgesteld met wijzigingen",
        DecisionOutcome.Rejected => "Verworpen",
        DecisionOutcome.Deferred => "Aangehouden",
        _ => outcome.ToString(),
    };

    public static string DaysLeft(int days) => days switch
    {
        < 0 => $"{-days} {(days == -1 ? "dag" : "dagen")} over de termijn",
        0 => "vandaag",
        1 => "1 dag",
        _ => $"{days} dagen",
    };

    /// <summary>A status light in words (never colour alone).</summary>
    public static string Light(StatusLight light) => light switch
    {
        StatusLight.OnTrack => "Op koers",
        StatusLight.AtRisk => "Risico",
        _ => "Te laat",
    };

    /// <summary>The CSS modifier of a light: light--ok, light--risk, light--late.</summary>
    public static string LightClass(StatusLight light) => light switch
    {
        StatusLight.OnTrack => "light--ok",
        StatusLight.AtRisk => "light--risk",
        _ => "light--late",
    };

    /// <summary>"week 36 (2 t/m 8 september 2024)".</summary>
    public static string Week(TargetWeek week) =>
        $"week {week.Number} ({week.Start.ToString("d MMMM", Dutch)} t/m {week.End.ToString("d MMMM yyyy", Dutch)})";

    /// <summary>The display name the definition gives a state, or the state's name.</summary>
    public static string State(WorkflowDefinition definition, MachineKind kind, string state) =>
        definition.Machine(kind).States.FirstOrDefault(s => s.Name == state)?.DisplayName ?? state;

    private static readonly Dictionary<string, string> Errors = new(StringComparer.Ordinal)
    {
        ["concurrent-change"] = "Iemand anders wijzigde dit agendapunt op hetzelfde moment. Laad de pagina opnieuw en probeer het nog eens.",
        ["meeting-cancelled"] = "Deze vergadering is geannuleerd.",
        ["meeting-has-items"] = "Op deze vergadering staan regionale agendapunten. Agendeer die eerst op een andere vergadering.",
        ["not-allowed-in-state"] = "Dat kan niet in de huidige stand van het proces of agendapunt.",
        ["process-closed"] = "Het proces is afgesloten; de agendapunten veranderen niet meer.",
        ["calendar-not-yours"] = "Alleen de gemeentesecretaris van deze gemeente (of een beheerder) houdt deze vergaderkalender bij.",
        ["no-role"] = "Uw account heeft geen rol in Drechtsteden.Decisions.",
        ["council-date-required"] = "Vul de datum in waarop de raadsinformatiebrief aan de raad is aangeboden.",
        ["council-date-in-future"] = "Die datum ligt in de toekomst; bevestig pas als de brief aan de raad is aangeboden.",
        ["council-date-before-publication"] = "Die datum ligt vóór de publicatie; de brief kon toen nog niet naar de raad.",
        ["not-published"] = "De raadsinformatiebrief gaat naar de raad zodra de besluiten zijn gepubliceerd.",
        ["council-letter-embargoed"] = "De raadsinformatiebrief is onder embargo tot de publicatie; de regiecoördinator geeft hem vrij.",
        ["council-letter-missing"] = "Bij dit proces hoort (nog) geen raadsinformatiebrief; de regiecoördinator geeft de tekst bij een conceptversie.",
        ["other-municipality"] = "U handelt namens een andere gemeente.",
        ["role-not-allowed"] = "Uw rol mag dit niet doen.",
        ["audit-not-allowed"] = "Alleen coördinatoren, controleurs en beheerders lezen het auditlogboek.",
        ["concept-text-required"] = "Het concept heeft een besluittekst nodig.",
        ["deadline-in-past"] = "Die termijn is al verstreken.",
        ["deadline-required"] = "Vul de termijn in.",
        ["deadline-not-later"] = "De nieuwe termijn moet later liggen dan de huidige en in de toekomst.",
        ["document-url-invalid"] = "De documentlink moet een http(s)-adres zijn.",
        ["meeting-in-past"] = "Die vergadering is al begonnen of ligt in het verleden; kies een komende vergadering.",
        ["meeting-after-deadline"] = "Die vergadering ligt na de termijn; kies een vergadering vóór de termijn.",
        ["meeting-required"] = "Kies een van de komende vergaderingen van het college.",
        ["meeting-not-found"] = "Die vergadering bestaat niet (meer).",
        ["meeting-other-college"] = "Die vergadering hoort bij een ander college.",
        ["meeting-not-held"] = "Een besluit kan worden vastgelegd vanaf de datum van de vergadering.",
        ["decision-required"] = "Kies wat het college besloot.",
        ["outcome-required"] = "Kies wat het college besloot.",
        ["concept-version-unknown"] = "Die conceptversie bestaat niet.",
        ["concept-version-required"] = "Het besluit hoort bij een conceptversie; laad de pagina opnieuw.",
        ["adopted-text-required"] = "Bij ‘vastgesteld met wijzigingen’ hoort de vastgestelde tekst.",
        ["deferral-reason-required"] = "Geef een reden voor het aanhouden.",
        ["adopted-text-differs"] = "De tekst wijkt af van het concept: kies ‘vastgesteld met wijzigingen’.",
        ["decision-date-in-future"] = "De besluitdatum ligt in de toekomst.",
        ["decision-before-meeting"] = "De besluitdatum ligt vóór de vergadering.",
        ["reason-required"] = "Geef een reden.",
        ["participant-not-in-region"] = "Een gekozen gemeente hoort niet bij de regio.",
        ["participants-required"] = "Kies ten minste één deelnemende gemeente.",
        ["reference-required"] = "Vul het zaaknummer in.",
        ["reference-too-long"] = "Het zaaknummer is te lang (ten hoogste 50 tekens).",
        ["starts-at-required"] = "Vul datum en tijd van de vergadering in.",
        ["text-too-long"] = "De tekst is te lang (ten hoogste 100.000 tekens).",
        ["title-required"] = "Vul de titel in.",
        ["title-too-long"] = "De titel is te lang (ten hoogste 300 tekens).",
        ["window-after-deadline"] = "Het synchronisatievenster begint na de termijn.",
        ["item-not-found"] = "Deze gemeente doet niet mee aan dit proces.",
        ["municipality-not-found"] = "Die gemeente bestaat niet.",
        ["process-not-found"] = "Dat proces bestaat niet, of u mag het niet zien.",
        ["region-not-found"] = "Er is geen regio ingesteld.",
        ["idempotency-key-reused"] = "Dit formulier is al eens verstuurd met andere gegevens. Laad de pagina opnieuw.",
        ["meeting-started"] = "Die vergadering is al begonnen; die kan niet meer worden verplaatst of geannuleerd.",
        ["command-not-supported"] = "Deze stap bestaat niet in het werkproces van dit proces.",
        ["target-week-required"] = "Kies een dag in de synchrone week.",
        ["target-week-after-deadline"] = "Die week begint na de termijn; kies een week vóór de termijn.",
        ["target-week-past"] = "Die week is al voorbij.",
        ["search-too-long"] = "De zoektekst is te lang (ten hoogste 300 tekens).",
        ["input-invalid"] = "Deze invoer is niet geldig.",
        [Input.CommandInput.TooLong] = "De invoer is te lang.",
        [Input.CommandInput.ControlCharacter] = "De invoer bevat een teken dat niet getypt kan zijn (een stuurteken); alleen tabs en regelovergangen mogen.",
    };

    public static string Error(DomainException e) => e switch
    {
        { Code: Input.CommandInput.TooLong } when e.Data["limit"] is int limit => $"De invoer is te lang: ten hoogste {limit.ToString("N0", Dutch)} tekens.",
        _ => Errors.TryGetValue(e.Code, out var text) ? text : e.Message,
    };

    /// <summary>The Dutch texts the pages know, for the test that every domain code has one.</summary>
    public static IReadOnlyCollection<string> KnownErrorCodes => Errors.Keys;
}
