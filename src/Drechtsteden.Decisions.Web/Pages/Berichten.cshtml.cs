using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>The reminders, escalations and alerts the signed-in user received (the same messages that went out by e-mail).</summary>
public sealed class BerichtenModel(DecisionsDbContext db) : AppPageModel
{
    public IReadOnlyList<OutboxMessage> Messages { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Messages = await db.Outbox.AsNoTracking().Where(m => m.RecipientUserId == Actor.UserId)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(200).ToListAsync(cancellationToken);

    public static string KindName(string kind) => kind switch
    {
        "reminder" => "Herinnering",
        "publication" => "Vrijgave",
        "escalation" => "Escalatie",
        "risk" => "Risico",
        "alert" => "Storing",
        _ => "Bericht",
    };

    public static string StatusName(OutboxStatus status) => status switch
    {
        OutboxStatus.Sent => "verzonden per e-mail",
        OutboxStatus.Pending => "wordt verzonden",
        OutboxStatus.Failed => "niet verzonden (opgegeven na herhaalde pogingen)",
        _ => "niet verzonden (wordt opnieuw geprobeerd)",
    };
}
