using Drechtsteden.Decisions.Web.Audit;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Drechtsteden.Decisions.Web;

/// <summary>
/// OpenTelemetry traces and metrics — ASP.NET Core, HttpClient, Npgsql, the .NET runtime and our own meter (commands,
/// timers fired and their lateness, notifications sent, audit appends) — exported over OTLP when an endpoint is
/// configured (the standard OTEL_EXPORTER_OTLP_ENDPOINT, or Otlp:Endpoint). Logs: JSON lines on the console unless
/// Logging:Console:FormatterName says otherwise (Development uses the readable format), with the trace id, span id
/// and the request's correlation id in every line.
/// </summary>
public static class Observability
{
    public const string ServiceName = "drechtsteden-decisions";

    public static WebApplicationBuilder AddDecisionsObservability(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (builder.Configuration["Logging:Console:FormatterName"] is null)
        {
            if (builder.Environment.IsDevelopment())
                builder.Logging.AddSimpleConsole(console => console.IncludeScopes = false);
            else
                builder.Logging.AddJsonConsole(json =>
                {
                    json.IncludeScopes = true;
                    json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffzzz";
                    json.UseUtcTimestamp = true;
                });
        }

        // Without an endpoint nothing would receive spans or metrics: leave the instrumentation out, so requests and
        // database commands do not pay for activities nobody reads.
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? builder.Configuration["Otlp:Endpoint"];
        if (string.IsNullOrWhiteSpace(endpoint))
            return builder;
        builder.Services.Configure<OpenTelemetry.Exporter.OtlpExporterOptions>(otlp =>
        {
            otlp.Endpoint = new Uri(endpoint);
            if (builder.Configuration["Otlp:Protocol"] is "http/protobuf" || builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] is "http/protobuf")
                otlp.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
        });
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql")
                .AddMeter(Telemetry.MeterName))
            .UseOtlpExporter();
        return builder;
    }

    /// <summary>Every log line written while a request runs carries its correlation id (X-Correlation-Id, or the trace identifier).</summary>
    public static IApplicationBuilder UseCorrelationScope(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Drechtsteden.Decisions.Request");
        var correlation = context.RequestServices.GetRequiredService<AuditRequestContext>().CorrelationId ?? context.TraceIdentifier;
        context.Response.Headers["X-Correlation-Id"] = correlation;
        using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = correlation }))
            await next(context);
    });
}
