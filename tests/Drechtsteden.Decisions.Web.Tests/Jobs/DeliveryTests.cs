using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using static Drechtsteden.Decisions.Web.Tests.Jobs.TimerHarness;

namespace Drechtsteden.Decisions.Web.Tests.Jobs;

/// <summary>Two hosts on one database, and a real SMTP server receiving the real messages.</summary>
[NonParallelizable]
public sealed class DeliveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Two_Hangfire_servers_on_one_database_fire_every_timer_once_and_send_every_message_once()
    {
        var database = await SeededDatabaseAsync();
        await using var first = new DecisionsAppFactory(database.App);
        await using var second = new DecisionsAppFactory(database.App);
        first.CreateClient().Dispose();
        second.CreateClient().Dispose();

        var start = Now.AddSeconds(3);
        var processes = new List<Guid>();
        for (var i = 0; i < 10; i++)
            processes.Add(await StartAsync(i % 2 == 0 ? first : second, start.AddMilliseconds(150 * i)));

        await WaitUntilAsync(async () =>
        {
            var messages = await MessagesAsync(first);
            return messages.Count == 10 && messages.All(m => m.Status == OutboxStatus.Sent);
        }, Patience, "ten escalations sent");
        await Task.Delay(2500); // time for any duplicate to appear

        foreach (var process in processes)
            Assert.That(await FiringsAsync(first, process), Has.Count.EqualTo(1), $"process {process}");
        Assert.That((await MessagesAsync(first)).Select(m => m.DedupeKey).Distinct().Count(), Is.EqualTo(10));
        var files = new[] { first.MailDirectory, second.MailDirectory }.Where(Directory.Exists).SelectMany(d => Directory.GetFiles(d, "*.eml"))
            .Where(f => File.ReadAllText(f).Contains("X-Drechtsteden-Kind: escalation", StringComparison.Ordinal)).ToList();
        Assert.That(files, Has.Count.EqualTo(10), "each escalation written once, by one of the two hosts");
    }

    [Test]
    public async Task The_messages_reach_an_SMTP_server_in_Dutch_with_a_link_to_the_item()
    {
        var port = HostProcess.FreePort();
        var store = new CollectingStore();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port)).IsSecure(false)).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(store);
        using var stop = new CancellationTokenSource();
        var smtp = new SmtpServer.SmtpServer(options, services);
        var running = smtp.StartAsync(stop.Token);

        var database = await SeededDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?>
        {
            ["Mail:SmtpHost"] = "127.0.0.1",
            ["Mail:SmtpPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mail:SmtpSecurity"] = "None",
        });
        app.CreateClient().Dispose();

        var process = await StartAsync(app, Now.AddSeconds(2));
        await WaitUntilAsync(() => Task.FromResult(store.Messages.Any(m => m.Headers["X-Drechtsteden-Kind"] == "escalation")), Patience, "the SMTP server received the escalation");

        var message = store.Messages.Single(m => m.Headers["X-Drechtsteden-Kind"] == "escalation");
        Assert.That(message.Subject, Is.EqualTo("Termijn verstreken: ‘Korte termijn’"));
        Assert.That(message.To.Mailboxes.Single().Address, Is.EqualTo("regie@example.org"));
        Assert.That(message.TextBody, Does.Contain("Beste Regiecoördinator").And.Contain($"/processen/{process}"));
        // The dispatcher commits "Sent" right after the SMTP server accepted the message.
        await WaitUntilAsync(async () => (await MessagesAsync(app, process)).Single().Status == OutboxStatus.Sent, Patience, "the message is marked sent");
        Assert.That(Directory.Exists(app.MailDirectory), Is.False, "with SMTP settings nothing goes to the pickup folder");
        using var client = app.CreateClient();
        using var mailbox = await client.GetAsync(new Uri(DevMailbox.Path, UriKind.Relative));
        Assert.That(mailbox.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the development mailbox exists only without SMTP");

        await stop.CancelAsync();
        await running;
    }

    private sealed class CollectingStore : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Messages { get; } = new();

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
