namespace Drechtsteden.Decisions.Web.Data.Embedded;

/// <summary>The PostgreSQL server programs this machine has: <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>.</summary>
public sealed record PostgresBinaries(string Directory)
{
    public const string MissingMessage =
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin: " +
        "install them (Debian: apt-get install postgresql), set Database__Embedded__BinDirectory to their folder, " +
        "or set ConnectionStrings__Decisions to use an existing PostgreSQL server.";

    public string InitDb => Path.Combine(Directory, "initdb");

    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    /// <summary>
    /// Finds the binaries. An explicitly configured folder is the only place looked at, so a wrong setting is
    /// reported instead of silently replaced by another installation.
    /// </summary>
    public static PostgresBinaries Locate(string? configuredDirectory, string? pathVariable, IEnumerable<string> installRoots)
    {
        if (!string.IsNullOrWhiteSpace(configuredDirectory))
        {
            return HasServerPrograms(configuredDirectory)
                ? new PostgresBinaries(configuredDirectory)
                : throw new StartupException(
                    $"Database:Embedded:BinDirectory is '{configuredDirectory}', but initdb and pg_ctl are not there. " + MissingMessage);
        }

        foreach (var dir in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasServerPrograms(dir))
                return new PostgresBinaries(ResolveLinkedDirectory(dir));
        }

        // Debian installs every major version side by side; prefer the newest.
        var candidates = installRoots
            .Where(System.IO.Directory.Exists)
            .SelectMany(root => System.IO.Directory.GetDirectories(root))
            .Select(versionDir => (Version: int.TryParse(Path.GetFileName(versionDir), out var v) ? v : -1, Bin: Path.Combine(versionDir, "bin")))
            .Where(c => HasServerPrograms(c.Bin))
            .OrderByDescending(c => c.Version);
        foreach (var candidate in candidates)
            return new PostgresBinaries(candidate.Bin);

        throw new StartupException(MissingMessage);
    }

    public static PostgresBinaries LocateOnThisMachine(string? configuredDirectory) =>
        Locate(configuredDirectory, Environment.GetEnvironmentVariable("PATH"), ["/usr/lib/postgresql"]);

    private static bool HasServerPrograms(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

    // /usr/local/bin/initdb is often a link into /usr/lib/postgresql/NN/bin; pg_ctl finds "postgres" next to itself,
    // so we run the programs from their real folder.
    private static string ResolveLinkedDirectory(string dir)
    {
        var target = new FileInfo(Path.Combine(dir, "pg_ctl")).ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? dir : Path.GetDirectoryName(target.FullName) ?? dir;
    }
}
