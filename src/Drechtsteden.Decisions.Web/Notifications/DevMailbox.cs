using System.Globalization;
using System.Net;
using System.Text;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Notifications;

/// <summary>
/// Without SMTP settings (the embedded default) messages go to .eml files; this page lists them for administrators, so
/// one sees the reminders the app sends. Never mapped in Production, nor when an SMTP server is configured.
/// </summary>
public static class DevMailbox
{
    public const string Path = "/dev/mailbox";

    public static IEndpointRouteBuilder MapDevMailbox(this IEndpointRouteBuilder app, IHostEnvironment environment, MailOptions mail)
    {
        if (environment.IsProduction() || !string.IsNullOrWhiteSpace(mail.SmtpHost))
            return app;
        // Every user's messages, escalations included: for administrators only.
        app.MapGet(Path, RenderAsync).ExcludeFromDescription().RequireAuthorization(policy => policy.RequireRole(nameof(Role.Admin)));
        return app;
    }

    private static async Task<IResult> RenderAsync(DecisionsDbContext db, MailOptions mail, CancellationToken cancellationToken)
    {
        var messages = await db.Outbox.AsNoTracking().OrderByDescending(m => m.Id).Take(200).ToListAsync(cancellationToken);
        var dutch = CultureInfo.GetCultureInfo("nl-NL");
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Verzonden berichten (ontwikkelpostvak)</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}td,th{padding:.4rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}pre{white-space:pre-wrap}</style></head><body>")
            .Append("<h1>Verzonden berichten</h1><p>Er is geen SMTP-server ingesteld. Berichten worden als .eml-bestand bewaard in <code>")
            .Append(WebUtility.HtmlEncode(System.IO.Path.GetFullPath(mail.PickupDirectory))).Append("</code>.</p>");
        if (messages.Count == 0)
            html.Append("<p>Nog geen berichten.</p>");
        else
        {
            html.Append("<table><thead><tr><th scope=\"col\">Aangemaakt</th><th scope=\"col\">Aan</th><th scope=\"col\">Onderwerp</th><th scope=\"col\">Status</th></tr></thead><tbody>");
            foreach (var m in messages)
            {
                html.Append("<tr><td>").Append(Amsterdam.ToLocal(m.CreatedAt).ToString("d MMM yyyy HH:mm", dutch)).Append("</td><td>")
                    .Append(WebUtility.HtmlEncode($"{m.RecipientName} <{m.RecipientEmail}>")).Append("</td><td><details><summary>")
                    .Append(WebUtility.HtmlEncode(m.Subject)).Append("</summary><pre>").Append(WebUtility.HtmlEncode(m.Body)).Append("</pre><a href=\"")
                    .Append(WebUtility.HtmlEncode(m.Link)).Append("\">Naar het agendapunt</a></details></td><td>")
                    .Append(m.Status switch { OutboxStatus.Sent => "verzonden", OutboxStatus.Failed => "mislukt", OutboxStatus.InAppOnly => "alleen in de app", _ => "wacht" }).Append("</td></tr>");
            }
            html.Append("</tbody></table>");
        }
        html.Append("</body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }
}
