using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Drechtsteden.Decisions.Web.Tests.Webhooks;

/// <summary>
/// Events out (issue 20): a process's steps reach real HTTP receivers started by the test, as CloudEvents 1.0 in
/// structured JSON, HMAC-signed, through the outbox — at least once, a receiver that fails at first gets the same
/// event (the same id) again after the pause, and a decision's content travels only with the publication.
/// </summary>
[NonParallelizable]
public sealed class WebhookTests
{
    private const string Secret = "een geheim van minstens zestien tekens";
    private const string FlakySecret = "een ander geheim voor de wankele ontvanger";

    private sealed record Received(string Path, string ContentType, string? Timestamp, string? Signature, byte[] Body, int Status);

    /// <summary>A real receiver on a free port: /ok answers 204; /flaky answers 500 to its first two requests, then 204.</summary>
    private static async Task<(WebApplication App, string BaseUrl, ConcurrentQueue<Received> Log)> ReceiverAsync()
    {
        var port = HostProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var receiver = builder.Build();
        var log = new ConcurrentQueue<Received>();
        var flaky = 0;
        async Task<IResult> Record(HttpContext context, int status)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            log.Enqueue(new Received(context.Request.Path, context.Request.ContentType ?? "", context.Request.Headers[WebhookDispatcher.TimestampHeader],
                context.Request.Headers[WebhookDispatcher.SignatureHeader], body.ToArray(), status));
            return Results.StatusCode(status);
        }
        receiver.MapPost("/ok", context => Record(context, 204).ContinueWith(t => t.Result.ExecuteAsync(context)).Unwrap());
        receiver.MapPost("/flaky", context => Record(context, Interlocked.Increment(ref flaky) <= 2 ? 500 : 204).ContinueWith(t => t.Result.ExecuteAsync(context)).Unwrap());
        await receiver.StartAsync();
        return (receiver, $"http://127.0.0.1:{port}", log);
    }

    private static CloudEvent Decode(Received r) => new JsonEventFormatter().DecodeStructuredModeMessage(r.Body, new System.Net.Mime.ContentType(r.ContentType), null);

    [Test]
    public async Task A_process_s_steps_reach_real_receivers_as_signed_CloudEvents_at_least_once()
    {
        var (receiver, baseUrl, log) = await ReceiverAsync();
        await using var stop = receiver;
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new DecisionsAppFactory(database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false" },
            services: s => s.AddSingleton<TimeProvider>(clock));
        HttpClient As(string user) { var c = app.CreateClient(); c.DefaultRequestHeaders.Add(TestAuthentication.Header, user); return c; }
        using var admin = As("admin;Admin");
        using var coordinator = As("coordinator;Coordinator");
        using var secretary = As("secretary-GM0505;Secretary;GM0505");
        using var college = As("college-GM0505;College;GM0505");
        using var griffier = As("griffier-GM0505;Griffier;GM0505");

        using (var refused = await admin.PostAsJsonAsync("/api/webhooks", new { url = "ftp://elders", secret = Secret, events = new[] { "process.started" } }))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity), "an http(s) address only");
        using (var refused = await admin.PostAsJsonAsync("/api/webhooks", new { url = $"{baseUrl}/ok", secret = "kort", events = new[] { "process.started" } }))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity), "a secret of at least 16 characters");
        using (var refused = await coordinator.PostAsJsonAsync("/api/webhooks", new { url = $"{baseUrl}/ok", secret = Secret, events = new[] { "process.started" } }))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "administrators only");
        using (var registered = await admin.PostAsJsonAsync("/api/webhooks", new { url = $"{baseUrl}/ok", secret = Secret, events = WebhookEventTypes.All }))
            Assert.That(registered.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        using (var registered = await admin.PostAsJsonAsync("/api/webhooks", new { url = $"{baseUrl}/flaky", secret = FlakySecret, events = new[] { "process.started", "decision.recorded" } }))
            Assert.That(registered.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await admin.GetStringAsync("/api/webhooks"), Does.Not.Contain(Secret), "a secret is never shown again");

        // The whole process for one college: start, meeting, schedule, decide, publish, council informed.
        var today = Amsterdam.DateOf(clock.GetUtcNow());
        using var started = await coordinator.PostAsJsonAsync("/api/processes", new
        {
            title = "Webhooks", reference = "WH-1", conceptText = "Het college besluit.", deadlineDate = today.AddDays(30), participants = new[] { "GM0505" },
            councilLetter = "## Wat is de te delen informatie?\n\nDe brief.",
        });
        var process = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("processId").GetGuid();
        using var meeting = await secretary.PostAsJsonAsync("/api/municipalities/GM0505/meetings", new { startsAt = Amsterdam.At(today.AddDays(2), new TimeOnly(10, 0)) });
        var meetingId = JsonDocument.Parse(await meeting.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        (await secretary.PostAsJsonAsync($"/api/processes/{process}/items/GM0505/schedule", new { meetingId })).EnsureSuccessStatusCode();
        clock.Advance(TimeSpan.FromDays(2.5));
        (await college.PostAsJsonAsync($"/api/processes/{process}/items/GM0505/decision", new { outcome = "Adopted", conceptVersion = 1 })).EnsureSuccessStatusCode();
        (await coordinator.PostAsJsonAsync($"/api/processes/{process}/publish", new { })).EnsureSuccessStatusCode();
        (await griffier.PostAsJsonAsync($"/api/processes/{process}/items/GM0505/council", new { informedOn = Amsterdam.DateOf(clock.GetUtcNow()) })).EnsureSuccessStatusCode();

        var dispatcher = app.Services.GetRequiredService<WebhookDispatcher>();
        await dispatcher.DispatchOnceAsync();

        var ok = log.Where(r => r.Path == "/ok").ToList();
        Assert.That(ok.Select(r => Decode(r).Type), Is.EqualTo(WebhookEventTypes.All.Select(t => WebhookEventTypes.Prefix + t)), "every step, in order");
        foreach (var r in ok)
        {
            Assert.That(r.ContentType, Does.StartWith("application/cloudevents+json"));
            Assert.That(r.Signature, Is.EqualTo("sha256=" + WebhookDispatcher.Sign(Secret, r.Timestamp!, r.Body)), "HMAC-SHA256 over timestamp.body with the webhook's secret");
            var e = Decode(r);
            Assert.That(e.SpecVersion, Is.EqualTo(CloudEventsSpecVersion.V1_0));
            Assert.That(e.Source!.ToString(), Does.EndWith($"/api/processes/{process}"));
            Assert.That(Guid.TryParse(e.Id, out _), Is.True);
        }
        JsonElement Data(string type) => (JsonElement)Decode(ok.Single(r => Decode(r).Type == WebhookEventTypes.Prefix + type)).Data!;
        Assert.That(Data("decision.recorded").TryGetProperty("outcome", out _), Is.False, "what the college decided is embargoed until the publication");
        Assert.That(Encoding.UTF8.GetString(ok.Single(r => Decode(r).Type!.EndsWith("decision.recorded", StringComparison.Ordinal)).Body), Does.Not.Contain("Adopted"));
        Assert.That(Data("process.published").GetProperty("decisions")[0].GetProperty("outcome").GetString(), Is.EqualTo("Adopted"), "the publication carries the decisions");
        Assert.That(Data("council.informed").GetProperty("municipality").GetString(), Is.EqualTo("GM0505"));

        // The flaky receiver failed twice; after the pause the same events come again, with the same ids.
        var flaky = log.Where(r => r.Path == "/flaky").ToList();
        Assert.That(flaky.Select(r => r.Status), Is.EqualTo(new[] { 500, 500 }));
        await dispatcher.DispatchOnceAsync();
        Assert.That(log.Count(r => r.Path == "/flaky"), Is.EqualTo(2), "not retried before its pause is over");
        clock.Advance(TimeSpan.FromSeconds(16));
        await dispatcher.DispatchOnceAsync();
        flaky = log.Where(r => r.Path == "/flaky").ToList();
        Assert.That(flaky.Select(r => r.Status), Is.EqualTo(new[] { 500, 500, 204, 204 }));
        Assert.That(flaky.Skip(2).Select(r => Decode(r).Id), Is.EquivalentTo(flaky.Take(2).Select(r => Decode(r).Id)), "a retry carries the same event id");
        Assert.That(flaky.Select(r => Decode(r).Id).Distinct(), Is.SubsetOf(ok.Select(r => Decode(r).Id)), "one id per event, for every receiver");
        Assert.That(flaky.Select(r => r.Signature), Is.EqualTo(flaky.Select(r => "sha256=" + WebhookDispatcher.Sign(FlakySecret, r.Timestamp!, r.Body))));

        clock.Advance(TimeSpan.FromHours(2));
        await dispatcher.DispatchOnceAsync();
        Assert.That(log, Has.Count.EqualTo(ok.Count + 4), "delivered is delivered: nothing is sent twice after a 2xx");
        var webhooks = JsonDocument.Parse(await admin.GetStringAsync("/api/webhooks")).RootElement.EnumerateArray().ToList();
        Assert.That(webhooks.Select(w => w.GetProperty("delivered").GetInt32()), Is.EquivalentTo(new[] { 5, 2 }));
        Assert.That(webhooks.Select(w => w.GetProperty("pending").GetInt32()), Is.All.Zero);
    }

    [Test]
    public async Task A_receiver_that_never_answers_well_is_set_aside_and_a_revoked_webhook_gets_nothing_new()
    {
        var (receiver, baseUrl, log) = await ReceiverAsync();
        await using var stop = receiver;
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new DecisionsAppFactory(database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false", ["Webhooks:MaxAttempts"] = "3" },
            services: s => s.AddSingleton<TimeProvider>(clock));
        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Add(TestAuthentication.Header, "admin;Admin");
        using var coordinator = app.CreateClient();
        coordinator.DefaultRequestHeaders.Add(TestAuthentication.Header, "coordinator;Coordinator");
        using var gone = await admin.PostAsJsonAsync("/api/webhooks", new { url = "http://127.0.0.1:9/nobody", secret = Secret, events = new[] { "process.started" } });
        using var revoked = await admin.PostAsJsonAsync("/api/webhooks", new { url = $"{baseUrl}/ok", secret = Secret, events = new[] { "process.started" } });
        var revokedId = JsonDocument.Parse(await revoked.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        (await admin.DeleteAsync($"/api/webhooks/{revokedId}")).EnsureSuccessStatusCode();

        (await coordinator.PostAsJsonAsync("/api/processes", new
        {
            title = "Niemand luistert", reference = "WH-2", conceptText = "Het college besluit.", deadlineDate = Amsterdam.DateOf(clock.GetUtcNow()).AddDays(30), participants = new[] { "GM0505" },
        })).EnsureSuccessStatusCode();
        var dispatcher = app.Services.GetRequiredService<WebhookDispatcher>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await dispatcher.DispatchOnceAsync();
            clock.Advance(TimeSpan.FromHours(1));
        }
        await using var scope = app.Services.CreateAsyncScope();
        var deliveries = await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().Set<WebhookDelivery>().AsNoTracking().ToListAsync();
        Assert.That(deliveries, Has.Count.EqualTo(1), "the revoked webhook gets no delivery");
        Assert.That(deliveries[0].Status, Is.EqualTo(WebhookDeliveryStatus.Failed));
        Assert.That(deliveries[0].Attempts, Is.EqualTo(3));
        Assert.That(deliveries[0].LastError, Is.Not.Empty);
        Assert.That(log, Is.Empty);
    }
}
