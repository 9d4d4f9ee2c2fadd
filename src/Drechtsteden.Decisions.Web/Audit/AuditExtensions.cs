using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Data;

namespace Drechtsteden.Decisions.Web.Audit;

public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>The transparency log over the trail (signed checkpoints).</summary>
    public AuditLogOptions Log { get; set; } = new();

    /// <summary>Witnesses outside the app's trust that cosign the log's checkpoints (Audit__Witnesses__0__Url, …__Key).</summary>
    public List<WitnessOptions> Witnesses { get; set; } = [];

    /// <summary>Run a witness beside the app (its own process). Default: when no witness is configured, outside Production.</summary>
    public bool? EmbeddedWitness { get; set; }

    /// <summary>Entries younger than this may still wait for a witnessed checkpoint; older ones must be anchored.</summary>
    public TimeSpan AnchorGrace { get; set; } = TimeSpan.FromMinutes(1);
}

public static class AuditExtensions
{
    public static IServiceCollection AddAuditTrail(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AuditOptions.Section).Get<AuditOptions>() ?? new AuditOptions();
        services.AddSingleton(options);
        services.AddSingleton(options.Log);
        services.AddSingleton(configuration.GetSection(AppOptions.Section).Get<AppOptions>() ?? new AppOptions());
        services.AddHttpClient();
        services.AddScoped<AuditRequestContext>();
        services.AddScoped<AuditTrail>();
        services.AddScoped<AuditVerifier>();
        services.AddScoped<AuditExport>();
        var dataDirectory = configuration["Database:Embedded:DataDirectory"] ?? ".data";
        services.AddSingleton(provider => new LogKey(options.Log, dataDirectory, provider.GetService<IHostEnvironment>()?.IsProduction() ?? false, provider.GetRequiredService<ILogger<LogKey>>()));
        services.AddSingleton(provider => Witnesses(options, provider.GetRequiredService<ILogger<WitnessDirectory>>()));
        services.AddSingleton<TransparencyLog>();
        services.AddHostedService<TransparencyLogService>();
        services.AddSingleton(provider => new EmbeddedWitness(
            Path.GetFullPath(Path.Combine(dataDirectory, "witness")),
            provider.GetRequiredService<LogKey>(), provider.GetRequiredService<WitnessDirectory>(), provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<ILogger<EmbeddedWitness>>()));
        services.AddHostedService<EmbeddedWitnessService>();
        return services;
    }

    /// <summary>The configured witnesses; one with an unreadable key is reported and left out, never fatal at start-up.</summary>
    private static WitnessDirectory Witnesses(AuditOptions options, ILogger logger)
    {
        var directory = new WitnessDirectory();
        foreach (var (witness, index) in options.Witnesses.Select((w, i) => (w, i)))
        {
            try
            {
                if (witness.Url is null || string.IsNullOrWhiteSpace(witness.Key))
                    throw new FormatException("Url and Key are both needed");
                var key = NoteKey.ParseVerifier(witness.Key);
                if (key.Type != NoteKey.CosignatureType)
                    throw new FormatException("the key is not a witness key (type 0x04)");
                directory.Add(new WitnessEndpoint(witness.Url.AbsoluteUri.EndsWith('/') ? witness.Url : new Uri(witness.Url.AbsoluteUri + "/"), key));
            }
            catch (FormatException e)
            {
                directory.Problems.Add($"getuige {index} (Audit__Witnesses__{index}) is niet te gebruiken: {e.Message}");
                logger.LogError("Witness {Index} is left out: {Reason}", index, e.Message);
            }
        }
        return directory;
    }

    /// <summary>Every audited change knows the request it came from: its correlation id and the client's address.</summary>
    public static IApplicationBuilder UseAuditRequestContext(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var audit = context.RequestServices.GetRequiredService<AuditRequestContext>();
        audit.CorrelationId = context.Request.Headers["X-Correlation-Id"].FirstOrDefault() is { Length: > 0 and <= 200 } id ? id : context.TraceIdentifier;
        audit.ClientAddress = context.Connection.RemoteIpAddress?.ToString();
        context.Response.Headers["X-Correlation-Id"] = audit.CorrelationId;
        await next(context);
    });

    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/audit/verify", VerifyAsync).WithName("VerifyAudit").WithTags("Audit")
            .RequireAuthorization(policy => policy.RequireRole(nameof(Role.Coordinator), nameof(Role.Auditor), nameof(Role.Admin)));
        return api;
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<AuditVerification>> VerifyAsync(AuditVerifier verifier, CancellationToken cancellationToken) =>
        TypedResults.Ok(await verifier.VerifyAsync(cancellationToken: cancellationToken));
}
