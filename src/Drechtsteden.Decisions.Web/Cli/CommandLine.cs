using Drechtsteden.Decisions.Web.Data;

namespace Drechtsteden.Decisions.Web.Cli;

/// <summary>
/// The host's command-line verbs. Without a verb it serves the web app; with one it does that job and exits.
/// </summary>
public static class CommandLine
{
    public static readonly IReadOnlyDictionary<string, string> Verbs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["migrate"] = "apply the database migrations and exit",
    };

    public static async Task<int> RunVerbOrServeAsync(this WebApplication app, string[] args)
    {
        var verb = args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal));
        switch (verb)
        {
            case null:
                var startup = app.Services.GetRequiredService<DatabaseStartup>();
                if (startup.MigrateOnStart)
                    await app.Services.MigrateDatabaseAsync();
                app.Lifetime.ApplicationStarted.Register(() =>
                {
                    if (app.Urls.Count > 0)
                        Console.WriteLine($"Drechtsteden.Decisions is running at {string.Join(", ", app.Urls)} (Ctrl+C stops it).");
                });
                await app.RunAsync();
                return 0;
            case "migrate":
                await app.Services.MigrateDatabaseAsync();
                Console.WriteLine("Database is up to date.");
                return 0;
            default:
                await Console.Error.WriteLineAsync(
                    $"Unknown verb '{verb}'. Verbs: {string.Join("; ", Verbs.Select(v => $"{v.Key} ({v.Value})"))}.");
                return 2;
        }
    }
}
