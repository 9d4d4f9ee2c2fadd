using System.Text;

namespace Drechtsteden.Decisions.Web;

/// <summary>Files only their owner may read, created that way (never created open and restricted afterwards).</summary>
public static class SecretFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static FileStream OpenOwnerOnly(string path, FileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = mode, Access = mode == FileMode.Append ? FileAccess.Write : FileAccess.ReadWrite, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = OwnerOnly;
        return new FileStream(path, options);
    }

    /// <summary>Creates <paramref name="path"/> with <paramref name="content"/>, owner-only from the first byte; false when it already exists.</summary>
    public static bool TryCreate(string path, string content)
    {
        try
        {
            using var stream = OpenOwnerOnly(path, FileMode.CreateNew);
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    /// <summary>Reads a secret file, creating it with <paramref name="create"/>'s text first when it does not exist.</summary>
    public static string ReadOrCreate(string path, Func<string> create)
    {
        if (!File.Exists(path))
            TryCreate(path, create());
        return File.ReadAllText(path).Trim();
    }
}
