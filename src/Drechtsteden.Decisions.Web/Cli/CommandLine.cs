using System.Text.Json;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Users;

namespace Drechtsteden.Decisions.Web.Cli;

/// <summary>
/// The host's command-line verbs. Without a verb it serves the web app; with one it does that job and exits.
/// </summary>
public static class CommandLine
{
    public static readonly IReadOnlyDictionary<string, string> Verbs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["migrate"] = "apply the database migrations and exit",
        ["verify-audit"] = "verify every audit chain, the transparency log and the latest witnessed checkpoint; exit 0 valid and anchored, 3 broken, 4 not anchored",
        ["verify-export"] = "verify-export <file> [--log-key KEY] [--witness-key KEY]: check a process's audit export (JSON or CSV) without any database; exit 0 valid and anchored, 3 broken, 4 not anchored",
        ["new-key"] = "new-key log|witness [name]: print a new Ed25519 key for the audit log or a witness (private and verifier form)",
        ["witness"] = "witness --data DIR --urls URL --log-key KEY: run a witness that cosigns the audit log's checkpoints (its own process, key and storage)",
        ["export-audit"] = "export-audit <processId> [--format json|csv] [--out file]: a process's audit trail as ZGW AuditTrail objects",
    };

    /// <summary>Exit code of verify-audit when the audit trail does not hold.</summary>
    public const int AuditBroken = 3;

    /// <summary>Exit code of verify-audit when nothing is broken but the trail is not (all) covered by a witnessed checkpoint.</summary>
    public const int AuditNotAnchored = 4;

    /// <summary>True when the arguments name a verb (the host does that job and exits) rather than serving.</summary>
    public static bool IsVerb(string[] args) => Positional(args).Count > 0;

    public static async Task<int> RunVerbOrServeAsync(this WebApplication app, string[] args)
    {
        var positional = Positional(args);
        switch (positional.FirstOrDefault())
        {
            case null:
                var startup = app.Services.GetRequiredService<DatabaseStartup>();
                if (startup.MigrateOnStart)
                {
                    await app.Services.MigrateDatabaseAsync();
                    await ReferenceData.SyncAsync(app.Services, DemoAccountsWanted(app, startup));
                }
                app.Lifetime.ApplicationStarted.Register(() =>
                {
                    if (app.Urls.Count == 0)
                        return;
                    Console.WriteLine($"Drechtsteden.Decisions is running at {string.Join(", ", app.Urls)} (Ctrl+C stops it).");
                    if (string.IsNullOrWhiteSpace(app.Services.GetRequiredService<Notifications.MailOptions>().SmtpHost) && !app.Environment.IsProduction())
                        Console.WriteLine($"No SMTP server configured: messages are listed at {app.Urls.First().TrimEnd('/')}{Notifications.DevMailbox.Path}");
                });
                await app.RunAsync();
                return 0;
            case "migrate":
                await app.Services.MigrateDatabaseAsync();
                await ReferenceData.SyncAsync(app.Services, DemoAccountsWanted(app, app.Services.GetRequiredService<DatabaseStartup>()));
                Console.WriteLine("Database is up to date.");
                return 0;
            case "verify-audit":
                return await VerifyAuditAsync(app.Services);
            case "generate":
                return await GenerateAsync(app, args);
            case "export-audit":
                return await ExportAuditAsync(app.Services, positional.ElementAtOrDefault(1), Option(args, "--format") ?? "json", Option(args, "--out"));
            default:
                await Console.Error.WriteLineAsync(
                    $"Unknown verb '{positional[0]}'. Verbs: {string.Join("; ", Verbs.Select(v => $"{v.Key} ({v.Value})"))}.");
                return 2;
        }
    }

    /// <summary>Demo accounts: by default only on the embedded database, and never in the Production environment.</summary>
    private static bool DemoAccountsWanted(WebApplication app, DatabaseStartup startup) =>
        !app.Environment.IsProduction()
        && (app.Configuration.GetSection(DemoDataOptions.Section).Get<DemoDataOptions>()?.Enabled ?? startup.Embedded);

    /// <summary>Who acts when a person runs a verb on the server: recorded in the audit trail as such.</summary>
    public static Actor CommandLineActor => new($"cli:{Environment.UserName}", $"Command line ({Environment.UserName})", Role.Auditor);

    private static async Task<int> VerifyAuditAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        if (EmbeddedWitness.Wanted(services.GetRequiredService<AuditOptions>(), services.GetRequiredService<IHostEnvironment>()))
            await services.GetRequiredService<EmbeddedWitness>().EnsureStartedAsync();
        var result = await scope.ServiceProvider.GetRequiredService<AuditVerifier>().VerifyAsync();
        Console.WriteLine(result.Summary);
        return result.ExitCode;
    }

    private static async Task<int> ExportAuditAsync(IServiceProvider services, string? process, string format, string? outFile)
    {
        if (!Guid.TryParse(process, out var processId) || format is not ("json" or "csv"))
        {
            await Console.Error.WriteLineAsync("Usage: export-audit <processId> [--format json|csv] [--out file]");
            return 2;
        }
        await using var scope = services.CreateAsyncScope();
        var export = scope.ServiceProvider.GetRequiredService<AuditExport>();
        try
        {
            var text = format == "csv"
                ? await export.ToCsvAsync(processId, CommandLineActor)
                : (await export.ToJsonAsync(processId, CommandLineActor)).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            if (outFile is null)
                Console.WriteLine(text);
            else
                await File.WriteAllTextAsync(outFile, text);
            return 0;
        }
        catch (DomainException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }

    /// <summary>generate --municipalities 342 --regions 40 --processes 10000 --seed 1 [--workers 4]: national-scale data through the commands.</summary>
    private static async Task<int> GenerateAsync(WebApplication app, string[] args)
    {
        int Number(string name, int fallback) => Option(args, name) is { } text
            ? int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 ? value : throw new StartupException($"{name} takes a positive whole number, not '{text}'.")
            : fallback;
        var options = new Demo.GeneratorOptions(Number("--municipalities", 342), Number("--regions", 40), Number("--processes", 10_000), Number("--seed", 1), Number("--workers", 4));
        if (options.Regions > options.Municipalities)
            throw new StartupException("--regions cannot exceed --municipalities.");
        await app.Services.MigrateDatabaseAsync();
        Console.WriteLine($"Generating {options.Processes:N0} processes in {options.Regions} regions of {options.Municipalities} municipalities (seed {options.Seed}, {options.Workers} workers)...");
        var generator = ActivatorUtilities.CreateInstance<Demo.Generator>(app.Services);
        await generator.RunAsync(options, Console.Out);
        return 0;
    }

    private static List<string> Positional(string[] args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (!args[i].Contains('=', StringComparison.Ordinal))
                    i++; // its value
                continue;
            }
            if (!args[i].Contains('=', StringComparison.Ordinal))
                result.Add(args[i]);
        }
        return result;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
