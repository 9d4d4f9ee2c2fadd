namespace Drechtsteden.Decisions.Web;

/// <summary>
/// What the host does when nothing says otherwise — and only then. The launch profile (`dotnet run`) used to set
/// ASPNETCORE_URLS and ASPNETCORE_ENVIRONMENT itself, and `dotnet run` lets a profile's values win over the shell's, so a
/// user's <c>ASPNETCORE_URLS=…</c> was ignored. The profile now only names itself (DOTNET_LAUNCH_PROFILE, set by
/// `dotnet run`); the defaults live here and give way to every documented setting: ASPNETCORE_URLS / URLS / --urls,
/// ASPNETCORE_HTTP_PORTS / HTTP_PORTS (the container images), Kestrel:Endpoints, and ASPNETCORE_ENVIRONMENT /
/// DOTNET_ENVIRONMENT / --environment.
/// </summary>
public static class RunDefaults
{
    /// <summary>Where `dotnet run` serves when no address is configured: this machine only, port 5080.</summary>
    public const string Url = "http://127.0.0.1:5080";

    /// <summary>The builder options: Development under `dotnet run` when no environment is given; otherwise what is given (default Production).</summary>
    public static WebApplicationOptions Options(string[] args, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var given = environment("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } || environment("DOTNET_ENVIRONMENT") is { Length: > 0 }
            || args.Any(a => a.StartsWith("--environment", StringComparison.OrdinalIgnoreCase));
        var launchedByDotnetRun = environment("DOTNET_LAUNCH_PROFILE") is { Length: > 0 };
        return new WebApplicationOptions { Args = args, EnvironmentName = !given && launchedByDotnetRun ? Environments.Development : null };
    }

    /// <summary>Listens on <see cref="Url"/> when no address is configured in any of the ways ASP.NET Core reads.</summary>
    public static void UseDefaultUrl(WebApplicationBuilder builder)
    {
        if (!AddressConfigured(builder.Configuration))
            builder.WebHost.UseUrls(Url);
    }

    public static bool AddressConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"]) || !string.IsNullOrWhiteSpace(configuration["http_ports"])
        || !string.IsNullOrWhiteSpace(configuration["https_ports"]) || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
}
