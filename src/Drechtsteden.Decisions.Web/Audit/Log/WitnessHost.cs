using System.Diagnostics;
using System.Text;

namespace Drechtsteden.Decisions.Web.Audit.Log;

/// <summary>
/// The witness verb: its own process with its own key and storage, and nothing of the app (no database, no app
/// secrets). <c>witness --data DIR --urls URL --log-key KEY…</c>. HTTP: <c>POST /add-checkpoint</c> (C2SP tlog-witness),
/// <c>GET /checkpoint?origin=…</c> (the latest cosigned checkpoint of a log), <c>GET /</c> (its verifier key and status).
/// </summary>
public static class WitnessHost
{
    public const string Verb = "witness";
    public const string DefaultUrl = "http://127.0.0.1:5091";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Path.GetFullPath(Option(args, "--data") ?? Environment.GetEnvironmentVariable("WITNESS_DATA") ?? ".witness");
        var urls = Option(args, "--urls") ?? Environment.GetEnvironmentVariable("WITNESS_URLS") ?? DefaultUrl;
        var name = Option(args, "--name") ?? Environment.GetEnvironmentVariable("WITNESS_NAME") ?? $"witness-{Environment.MachineName.ToLowerInvariant()}";
        Directory.CreateDirectory(data);

        NoteKey key;
        var keyFile = Path.Combine(data, "witness.key");
        try
        {
            // The key from WITNESS_KEY (a secret of the orchestrator), else from its own file, made on first start.
            key = NoteKey.ParsePrivate(Environment.GetEnvironmentVariable("WITNESS_KEY") is { Length: > 0 } configured
                ? configured
                : SecretFiles.ReadOrCreate(keyFile, () => NoteKey.Generate(name, NoteKey.CosignatureType).PrivateKeyText));
            if (key.Type != NoteKey.CosignatureType)
                throw new FormatException("it is not a witness key (make one with: new-key witness <name>)");
        }
        catch (FormatException e)
        {
            // Never a new key in its place: a witness's identity is its key, and the logs it vouches for know it.
            await Console.Error.WriteLineAsync($"The witness key in {keyFile} cannot be read ({e.Message}). Restore it from a backup; the witness does not start without it.");
            return 1;
        }
        await File.WriteAllTextAsync(Path.Combine(data, "witness.pub"), key.Verifier.VerifierKey + "\n");

        var logKeys = new List<NoteKey>();
        var keyTexts = Options(args, "--log-key")
            .Concat((Environment.GetEnvironmentVariable("WITNESS_LOG_KEYS") ?? "").Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries))
            .Concat(File.Exists(Path.Combine(data, "log-keys.txt")) ? File.ReadAllLines(Path.Combine(data, "log-keys.txt")).Where(l => l.Trim().Length > 0 && !l.StartsWith('#')) : []);
        foreach (var text in keyTexts.Distinct(StringComparer.Ordinal))
        {
            try
            {
                var logKey = NoteKey.ParseVerifier(text);
                if (logKey.Type != NoteKey.LogType)
                    throw new FormatException("that is not a log key");
                logKeys.Add(logKey);
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"Ignoring the log key '{text}': {e.Message}");
            }
        }
        if (logKeys.Count == 0)
        {
            await Console.Error.WriteLineAsync("The witness needs at least one log key (--log-key, WITNESS_LOG_KEYS or log-keys.txt in its data folder).");
            return 2;
        }

        var witness = new Witness(key, logKeys, data, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder([]);
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Witness");
        foreach (var damaged in witness.DamagedFiles())
            logger.LogError("Witness file {File} in {Directory} is damaged: its log is refused until an operator restores or removes it", damaged, data);

        app.MapPost("/add-checkpoint", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            if (body.Length > 64 * 1024 || Witness.ParseRequest(body) is not { } parsed)
                return Results.Text("not an add-checkpoint request\n", statusCode: 400);
            return witness.Add(parsed.OldSize, parsed.Proof, parsed.Note) switch
            {
                WitnessAnswer.Cosigned c => Results.Text(c.Cosignature.Line, "text/plain; charset=utf-8"),
                WitnessAnswer.Conflict c => Results.Text($"{c.KnownSize}\n", "text/x.tlog.size", statusCode: 409),
                WitnessAnswer.Refused r => Results.Text(r.Why + "\n", statusCode: r.Status),
                _ => Results.StatusCode(500),
            };
        });
        app.MapGet("/checkpoint", (string origin) => witness.Latest(origin) switch
        {
            ({ } note, _) => Results.Text(note.ToString(), "text/plain; charset=utf-8"),
            (_, { } damage) => Results.Text(damage + "\n", statusCode: 500),
            _ => Results.NotFound(),
        });
        app.MapGet("/", () => Results.Text(
            $"witness {key.Name}\nkey {key.Verifier.VerifierKey}\nlogs {string.Join(' ', logKeys.Select(k => k.Name))}\ndamaged {string.Join(' ', witness.DamagedFiles())}\n"));

        if (Option(args, "--parent-pid") is { } parent && int.TryParse(parent, out var parentId))
            _ = StopWithParentAsync(parentId, app);
        Console.WriteLine($"Witness {key.Name} listens on {urls}; its key: {key.Verifier.VerifierKey}");
        await app.RunAsync();
        return 0;
    }

    /// <summary>The witness the app starts beside itself stops when the app is gone, also after a kill.</summary>
    private static async Task StopWithParentAsync(int parentId, WebApplication app)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            try
            {
                using var parent = Process.GetProcessById(parentId);
                if (!parent.HasExited)
                    continue;
            }
            catch (ArgumentException)
            {
            }
            await app.StopAsync();
            return;
        }
    }

    /// <summary>new-key log|witness [name]: prints a new private key and its verifier key, for configuration and secrets.</summary>
    public static int NewKey(string[] args)
    {
        var kind = args.ElementAtOrDefault(1);
        if (kind is not ("log" or "witness"))
        {
            Console.Error.WriteLine("Usage: new-key log|witness [name]");
            return 2;
        }
        var name = args.ElementAtOrDefault(2) ?? (kind == "log" ? new AuditLogOptions().Name : $"witness-{Environment.MachineName.ToLowerInvariant()}");
        var key = NoteKey.Generate(name, kind == "log" ? NoteKey.LogType : NoteKey.CosignatureType);
        Console.WriteLine($"private key (keep secret; {(kind == "log" ? "Audit__Log__SigningKey" : "WITNESS_KEY")}): {key.PrivateKeyText}");
        Console.WriteLine($"verifier key (public; {(kind == "log" ? "the witnesses' --log-key / WITNESS_LOG_KEYS" : "Audit__Witnesses__N__Key")}): {key.Verifier.VerifierKey}");
        return 0;
    }

    private static string? Option(string[] args, string name) => Options(args, name).LastOrDefault();

    private static IEnumerable<string> Options(string[] args, string name)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length)
                yield return args[i + 1];
            else if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
                yield return args[i][(name.Length + 1)..];
        }
    }
}
