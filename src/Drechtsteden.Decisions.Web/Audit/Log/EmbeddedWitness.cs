using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Drechtsteden.Decisions.Web.Audit.Log;

/// <summary>
/// Outside Production, with no witness configured, the app runs one beside itself: the witness verb in a process of
/// its own, with its own key and storage in <c>&lt;data&gt;/witness</c>, stopping when the app stops. A verb run beside a
/// running app uses the witness that is already there (its address is in that folder) instead of starting another.
/// This keeps the default run honest about anchoring; it is not independent of whoever controls the machine —
/// compose and Kubernetes run the witness as a service of its own with persistent storage (deploy/README.md).
/// </summary>
public sealed class EmbeddedWitness(string directory, LogKey logKey, WitnessDirectory witnesses, IHttpClientFactory http, ILogger<EmbeddedWitness> logger)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _process;
    private bool _registered;

    private string UrlFile => Path.Combine(directory, "url");

    public static bool Wanted(AuditOptions options, IHostEnvironment environment) =>
        options.Log.Enabled && (options.EmbeddedWitness ?? (options.Witnesses.Count == 0 && !environment.IsProduction()));

    public async Task EnsureStartedAsync(CancellationToken cancellationToken = default)
    {
        if (logKey.Key is not { } key)
            return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_registered)
                return;
            var url = await RunningUrlAsync(cancellationToken) ?? await StartAsync(key, cancellationToken);
            if (url is null)
                return;
            var publicKey = await File.ReadAllTextAsync(Path.Combine(directory, "witness.pub"), cancellationToken);
            witnesses.Add(new WitnessEndpoint(url, NoteKey.ParseVerifier(publicKey)));
            _registered = true;
        }
        catch (Exception e) when (e is IOException or FormatException or HttpRequestException)
        {
            witnesses.Problems.Add($"de ingebouwde getuige start niet: {e.Message}");
            logger.LogError(e, "The embedded witness in {Directory} did not start", directory);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The address of a witness already serving this folder (started by a running app), or null.</summary>
    private async Task<Uri?> RunningUrlAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(UrlFile) || !Uri.TryCreate((await File.ReadAllTextAsync(UrlFile, cancellationToken)).Trim(), UriKind.Absolute, out var url))
            return null;
        return await AnswersAsync(url, cancellationToken) ? url : null;
    }

    private async Task<bool> AnswersAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var client = http.CreateClient(nameof(EmbeddedWitness));
            client.Timeout = TimeSpan.FromSeconds(2);
            var status = await client.GetStringAsync(url, cancellationToken);
            var publicKey = Path.Combine(directory, "witness.pub");
            return File.Exists(publicKey) && status.Contains((await File.ReadAllTextAsync(publicKey, cancellationToken)).Trim(), StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<Uri?> StartAsync(NoteKey key, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var url = new Uri($"http://127.0.0.1:{FreeLoopbackPort()}/");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var argument in new[]
        {
            typeof(EmbeddedWitness).Assembly.Location, WitnessHost.Verb, "--data", directory, "--urls", url.ToString().TrimEnd('/'),
            "--name", "witness-embedded", "--log-key", key.Verifier.VerifierKey, "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
            info.ArgumentList.Add(argument);
        _process = Process.Start(info) ?? throw new IOException("the witness process did not start");
        _process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) logger.LogInformation("witness: {Line}", line); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) logger.LogWarning("witness: {Line}", line); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new IOException($"the witness process ended with exit code {_process.ExitCode}");
            if (File.Exists(Path.Combine(directory, "witness.pub")) && await AnswersAsync(url, cancellationToken))
            {
                await File.WriteAllTextAsync(UrlFile, url.ToString(), cancellationToken);
                logger.LogInformation("Embedded witness listens on {Url}, data in {Directory}", url, directory);
                return url;
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new IOException($"the witness did not answer on {url} within 20 s");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Starts the embedded witness with the app when it is wanted: asked for, or no witness configured outside Production.</summary>
internal sealed class EmbeddedWitnessService(EmbeddedWitness witness, AuditOptions options, IHostEnvironment environment) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        EmbeddedWitness.Wanted(options, environment) ? witness.EnsureStartedAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
