using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Drechtsteden.Decisions.Web.Notifications;

public sealed class MailOptions
{
    public const string Section = "Mail";

    /// <summary>Sender address of every message.</summary>
    public string From { get; set; } = "Drechtsteden.Decisions <noreply@drechtsteden-decisions.local>";

    /// <summary>SMTP server; without one, messages are written as .eml files to <see cref="PickupDirectory"/>.</summary>
    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    public string? SmtpUserName { get; set; }

    public string? SmtpPassword { get; set; }

    /// <summary>Auto (STARTTLS when offered), None, StartTls or SslOnConnect.</summary>
    public SecureSocketOptions SmtpSecurity { get; set; } = SecureSocketOptions.Auto;

    public string PickupDirectory { get; set; } = Path.Combine(".data", "mail");

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After this many failed attempts a message is marked Failed (and stays in the outbox to be seen).</summary>
    public int MaxAttempts { get; set; } = 8;
}

/// <summary>Hands one message to the outside world.</summary>
public interface IMailSender
{
    Task SendAsync(OutboxMessage message, CancellationToken cancellationToken);
}

internal static class MimeMessages
{
    public static MimeMessage From(OutboxMessage message, MailOptions options)
    {
        var mime = new MimeMessage
        {
            Subject = message.Subject,
            // The dedupe key names the message: a receiver that sees it twice (after a crash between send and commit) can tell.
            MessageId = $"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(message.DedupeKey)))[..32].ToLowerInvariant()}@drechtsteden-decisions",
            Body = new TextPart("plain") { Text = $"{message.Body}\n\n{message.Link}\n" },
            Date = message.CreatedAt,
        };
        mime.From.Add(MailboxAddress.Parse(options.From));
        mime.To.Add(new MailboxAddress(message.RecipientName, message.RecipientEmail));
        mime.Headers.Add("X-Drechtsteden-Kind", message.Kind);
        return mime;
    }
}

/// <summary>Sends over SMTP with MailKit.</summary>
public sealed class SmtpMailSender(MailOptions options) : IMailSender
{
    public async Task SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync(options.SmtpHost ?? throw new InvalidOperationException("Mail:SmtpHost is not set."), options.SmtpPort, options.SmtpSecurity, cancellationToken);
        if (!string.IsNullOrEmpty(options.SmtpUserName))
            await client.AuthenticateAsync(options.SmtpUserName, options.SmtpPassword ?? "", cancellationToken);
        await client.SendAsync(MimeMessages.From(message, options), cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }
}

/// <summary>The embedded default: each message becomes an .eml file that any mail program opens, and the app lists.</summary>
public sealed class PickupDirectoryMailSender(MailOptions options) : IMailSender
{
    public async Task SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.PickupDirectory);
        var file = Path.Combine(options.PickupDirectory, $"{message.CreatedAt:yyyyMMdd'T'HHmmss}-{message.Id}.eml");
        // Messages name people and what their college did: readable by the app's user only, from the first byte.
        await using var stream = SecretFiles.OpenOwnerOnly(file, FileMode.Create);
        await MimeMessages.From(message, options).WriteToAsync(stream, cancellationToken);
    }
}
