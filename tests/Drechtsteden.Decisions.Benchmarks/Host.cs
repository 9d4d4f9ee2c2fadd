using System.Diagnostics;
using System.Globalization;

namespace Drechtsteden.Decisions.Benchmarks;

/// <summary>The app as a separate process (the published build in the Web project's output), with its environment.</summary>
internal sealed class AppHost(string appDll, Dictionary<string, string> environment) : IAsyncDisposable
{
    private Process? _process;

    public string BaseUrl { get; } = $"http://127.0.0.1:{FreePort()}";

    public int Pid => _process?.Id ?? 0;

    /// <summary>Runs a verb to its end and returns its output; throws when it fails.</summary>
    public async Task<string> RunVerbAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Start(args);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{string.Join(' ', args)}' exited with {process.ExitCode}: {await errors}\n{await output}");
        return await output;
    }

    /// <summary>Starts the server and returns the time from process start to the first 200 from /health/ready.</summary>
    public async Task<TimeSpan> StartAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        _process = Start(["--urls", BaseUrl]);
        // The app's own log, for when a figure needs explaining (the harness prints only its errors).
        var log = environment.TryGetValue("Mail__PickupDirectory", out var mail) ? Path.Combine(Path.GetDirectoryName(mail)!, $"app-{DateTime.UtcNow:HHmmss}.log") : null;
        var writer = log is null ? null : TextWriter.Synchronized(new StreamWriter(log) { AutoFlush = true });
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) writer?.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.Error.WriteLine($"  [app] {e.Data}"); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The app exited with {_process.ExitCode} before it was ready.");
            try
            {
                using var response = await http.GetAsync(new Uri($"{BaseUrl}/health/ready"));
                if (response.IsSuccessStatusCode)
                    return stopwatch.Elapsed;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(25);
        }
        throw new TimeoutException("The app was not ready within 60 s.");
    }

    /// <summary>
    /// What the resident memory is made of (/proc/PID/status, MB): anonymous memory (the managed heap, native
    /// allocations, stacks), mapped files (the assemblies and native libraries) and shared memory (with W^X, the JIT's
    /// code and stubs are mapped from a memfd).
    /// </summary>
    public string ResidentBreakdown() =>
        $"anonymous {StatusMegabytes("RssAnon"):0} MB, files {StatusMegabytes("RssFile"):0} MB, shared (code) {StatusMegabytes("RssShmem"):0} MB";

    /// <summary>Resident memory of the app process (VmRSS), in MB.</summary>
    public double ResidentMegabytes() => StatusMegabytes("VmRSS");

    /// <summary>A field of /proc/PID/status given in kB, in MB (0 when the kernel does not report it).</summary>
    private double StatusMegabytes(string name)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(appDll)! };
        info.ArgumentList.Add(appDll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return Process.Start(info)!;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }
}
