using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>
/// The real host as a separate operating-system process, as a user or an operator runs it: for start-up errors,
/// restarts, crashes (SIGKILL) and several instances on one database.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }

    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the host dll that the build put next to the tests, with the given settings as environment variables.</summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Drechtsteden.Decisions.Web.dll"));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["Urls"] = baseAddress.ToString();
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // The test process's own settings must not leak into the host under test.
        info.Environment.Remove("ConnectionStrings__Decisions");
        info.Environment.Remove("ConnectionStrings__DecisionsOwner");
        if (arguments.FirstOrDefault() != "witness" && TestWitness.Url is not null)
        {
            foreach (var (key, value) in TestWitness.Settings)
                info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return new HostProcess(Process.Start(info)!, baseAddress);
    }

    /// <summary>
    /// The host as the README's run command starts it: `dotnet run --project src/Drechtsteden.Decisions.Web` (no build;
    /// the launch profile applies), with ASPNETCORE_URLS set to a free port the way a user would set it.
    /// </summary>
    public static HostProcess StartThroughDotnetRun(IReadOnlyDictionary<string, string?> environment)
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var project = Path.Combine(Browser.BrowserApp.RepositoryRoot, "src", "Drechtsteden.Decisions.Web");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = project,
        };
        foreach (var argument in new[] { "run", "--no-build", "-c", configuration, "--project", project })
            info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment.Remove("ConnectionStrings__Decisions");
        info.Environment.Remove("ConnectionStrings__DecisionsOwner");
        if (TestWitness.Url is not null)
        {
            foreach (var (key, value) in TestWitness.Settings)
                info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return new HostProcess(Process.Start(info)!, baseAddress);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until /health/ready answers 200; fails with the host's output when it exits or times out.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}.\n{StandardOutput}\n{StandardError}");
            try
            {
                using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // busy starting
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The host was not ready within {timeout}.\n{StandardOutput}\n{StandardError}");
    }

    /// <summary>Asks the host to stop as Ctrl+C or a container runtime would (SIGTERM) and waits for it.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await WaitForExitAsync(timeout);
    }

    /// <summary>A crash: SIGKILL, no chance to clean up.</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
