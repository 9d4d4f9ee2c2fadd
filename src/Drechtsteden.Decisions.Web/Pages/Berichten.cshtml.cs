using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// The reminders, escalations, signals and alerts the signed-in user received (the same messages that went out by
/// e-mail), unread first marked as such; the user marks them read, one or all, and chooses per kind whether it also
/// comes by e-mail (escalations always do).
/// </summary>
public sealed class BerichtenModel(DecisionsDbContext db, TimeProvider clock) : AppPageModel
{
    public IReadOnlyList<OutboxMessage> Messages { get; private set; } = [];

    /// <summary>The kinds this user reads in the app only.</summary>
    public IReadOnlySet<string> InAppOnly { get; private set; } = new HashSet<string>();

    [BindProperty] public List<string> PerMail { get; set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostReadAsync(long id, CancellationToken cancellationToken)
    {
        await db.Outbox.Where(m => m.Id == id && m.RecipientUserId == Actor.UserId && m.ReadAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.ReadAt, clock.GetUtcNow()), cancellationToken);
        return Redirect("/berichten");
    }

    public async Task<IActionResult> OnPostAllReadAsync(CancellationToken cancellationToken)
    {
        var count = await db.Outbox.Where(m => m.RecipientUserId == Actor.UserId && m.ReadAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.ReadAt, clock.GetUtcNow()), cancellationToken);
        Notice = count == 1 ? "1 bericht is als gelezen gemarkeerd." : $"{count} berichten zijn als gelezen gemarkeerd.";
        return Redirect("/berichten");
    }

    public async Task<IActionResult> OnPostPreferencesAsync(CancellationToken cancellationToken)
    {
        var user = await db.Users.FirstAsync(u => u.Id == Actor.UserId, cancellationToken);
        user.SetMailOptOut(NotificationComposer.OptionalByMail.Where(k => !PerMail.Contains(k)));
        await db.SaveChangesAsync(cancellationToken);
        Notice = user.MailOptOut.Length == 0
            ? "U krijgt alle berichten ook per e-mail."
            : $"Per e-mail krijgt u niet meer: {string.Join(", ", user.MailOptOut.Select(k => KindName(k).ToLowerInvariant()))}. Escalaties krijgt u altijd per e-mail.";
        return Redirect("/berichten");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Messages = await db.Outbox.AsNoTracking().Where(m => m.RecipientUserId == Actor.UserId)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(200).ToListAsync(cancellationToken);
        InAppOnly = (await db.Users.AsNoTracking().Where(u => u.Id == Actor.UserId).Select(u => u.MailOptOut).FirstOrDefaultAsync(cancellationToken) ?? []).ToHashSet();
    }

    public static string KindName(string kind) => kind switch
    {
        "reminder" => "Herinnering",
        "publication" => "Vrijgave",
        "escalation" => "Escalatie",
        "risk" => "Risico",
        "alert" => "Storing",
        "signal" => "Signalering",
        _ => "Bericht",
    };

    /// <summary>What a kind is about, for the e-mail preferences.</summary>
    public static string KindExplanation(string kind) => kind switch
    {
        "reminder" => "Herinneringen (agenderen, besluit vastleggen)",
        "signal" => "Signaleringen (afwijkend besluit, aangehouden, buiten de synchrone week)",
        "risk" => "Risico's (geen vergadering meer vóór de termijn)",
        "publication" => "Vrijgave voor publicatie",
        _ => KindName(kind),
    };

    public static string StatusName(OutboxStatus status) => status switch
    {
        OutboxStatus.Sent => "verzonden per e-mail",
        OutboxStatus.Pending => "wordt verzonden",
        OutboxStatus.Failed => "niet verzonden (opgegeven na herhaalde pogingen)",
        OutboxStatus.InAppOnly => "alleen in de app (uw keuze)",
        _ => "niet verzonden (wordt opnieuw geprobeerd)",
    };
}
