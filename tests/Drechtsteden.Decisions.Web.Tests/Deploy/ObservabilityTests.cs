using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Drechtsteden.Decisions.Web.Tests.Faults;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Drechtsteden.Decisions.Web.Tests.Deploy;

/// <summary>OTLP export (traces and metrics, ours included) to a receiver, and JSON log lines with correlation ids.</summary>
[NonParallelizable]
public sealed class ObservabilityTests
{
    [Test]
    public async Task Traces_and_metrics_go_out_over_OTLP_and_logs_are_JSON_lines_with_the_correlation_id()
    {
        // A minimal OTLP/HTTP receiver: it keeps every body it is sent, per signal.
        var received = new ConcurrentDictionary<string, ConcurrentBag<byte[]>>();
        var port = HostProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.GetOrAdd(signal, _ => []).Add(body.ToArray());
            return Results.Ok();
        });
        await receiver.StartAsync();

        var rig = await FaultRig.CreateAsync();
        await using var host = rig.StartHost(
            ("ASPNETCORE_ENVIRONMENT", "Staging"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{port}"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "300"),
            ("Logging__LogLevel__Default", "Information"),
            ("Logging__LogLevel__Microsoft.AspNetCore.Routing", "Information"));
        await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var coordinator = await FaultRig.ClientAsync(host, "coordinator");
        using var request = FaultRig.StartRequest("otel-1");
        request.Headers.Add("X-Correlation-Id", "correlatie-4711");
        using var response = await coordinator.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(response.Headers.GetValues("X-Correlation-Id").Single(), Is.EqualTo("correlatie-4711"));

        static bool Contains(IEnumerable<byte[]> bodies, string text) => bodies.Any(b => Encoding.UTF8.GetString(b).Contains(text, StringComparison.Ordinal));
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until && !(received.TryGetValue("metrics", out var m) && Contains(m, "decisions.commands") && Contains(m, "decisions.audit.appends")
               && received.TryGetValue("traces", out var t) && Contains(t, "postgresql") && Contains(t, "/api/processes")))
            await Task.Delay(250);
        Assert.Multiple(() =>
        {
            Assert.That(received.ContainsKey("traces"), "traces were exported");
            Assert.That(received.ContainsKey("metrics"), "metrics were exported");
            var metrics = received.GetValueOrDefault("metrics") ?? [];
            var traces = received.GetValueOrDefault("traces") ?? [];
            Assert.That(Contains(metrics, "decisions.commands"), "our command counter");
            Assert.That(Contains(metrics, "decisions.audit.appends"), "our audit append counter");
            Assert.That(Contains(metrics, "http.server.request.duration"), "ASP.NET Core's metrics");
            Assert.That(Contains(traces, "drechtsteden-decisions"), "the service name");
            Assert.That(Contains(traces, "postgresql"), "Npgsql's database spans");
            Assert.That(Contains(traces, "/api/processes"), "the request span");
        });

        await host.StopAsync(TimeSpan.FromSeconds(30));
        var lines = host.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l)).ToList();
        Assert.That(lines, Is.Not.Empty, "the logs are JSON lines");
        var correlated = lines.Where(l => l.RootElement.TryGetProperty("Scopes", out var scopes)
            && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("CorrelationId", out var id) && id.GetString() == "correlatie-4711")).ToList();
        Assert.That(correlated, Is.Not.Empty, "lines written during the request carry its correlation id");
        Assert.That(correlated.Any(l => l.RootElement.GetProperty("Scopes").EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out _))),
            "and its trace id");
        foreach (var line in lines)
            line.Dispose();
    }
}
