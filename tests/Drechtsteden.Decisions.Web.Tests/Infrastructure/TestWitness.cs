using System.Net;
using System.Net.Sockets;
using Drechtsteden.Decisions.Web.Audit.Log;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>
/// One witness process for the whole test run (the real witness verb), trusting one log key that every host under
/// test signs with. Each test database gets an origin of its own, so the hosts' logs never meet at the witness.
/// </summary>
public static class TestWitness
{
    private static HostProcess? _process;

    public static NoteKey LogKey { get; } = NoteKey.Generate("drechtsteden-decisions-tests", NoteKey.LogType);

    public static Uri Url { get; private set; } = null!;

    public static string Key { get; private set; } = "";

    public static string Directory { get; private set; } = "";

    /// <summary>The settings that point a host at this witness with the shared log key.</summary>
    public static IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Audit:Log:Name"] = LogKey.Name,
        ["Audit:Log:SigningKey"] = LogKey.PrivateKeyText,
        ["Audit:Witnesses:0:Url"] = Url.ToString(),
        ["Audit:Witnesses:0:Key"] = Key,
    };

    public static async Task StartAsync()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("drechtsteden-witness-").FullName;
        (_process, Url) = await StartWitnessAsync(Directory, LogKey);
        Key = (await File.ReadAllTextAsync(Path.Combine(Directory, "witness.pub"))).Trim();
    }

    /// <summary>Starts a witness process on a free port; returns it when it answers.</summary>
    public static async Task<(HostProcess Process, Uri Url)> StartWitnessAsync(string directory, params NoteKey[] logKeys)
    {
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        string[] arguments = ["witness", "--data", directory, "--urls", url.ToString().TrimEnd('/'), "--name", "witness-tests", .. logKeys.SelectMany(k => new[] { "--log-key", k.Verifier.VerifierKey })];
        var process = HostProcess.Start(new Dictionary<string, string?>(), arguments);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The witness ended: {process.StandardError} {process.StandardOutput}");
            try
            {
                await client.GetStringAsync(url);
                return (process, url);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"The witness did not answer on {url}: {process.StandardError}");
    }

    public static async Task StopAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        if (Directory.Length > 0)
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
