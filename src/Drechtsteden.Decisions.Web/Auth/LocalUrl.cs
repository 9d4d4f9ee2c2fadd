namespace Drechtsteden.Decisions.Web.Auth;

/// <summary>
/// Where the app may send a browser after sign-in: a path on this site, nothing else. The rule: it starts with one
/// "/", the next character is neither "/" nor "\", and it holds no backslash, no whitespace and no control character
/// anywhere — browsers drop a tab or a newline and read "/\t/evil.example" as "//evil.example" — also after one
/// round of percent-decoding ("/%09/evil.example", "/%2F%2Fevil.example", "/%5Cevil.example").
/// </summary>
public static class LocalUrl
{
    public static bool IsSafe(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > 2000)
            return false;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(url);
        }
        catch (UriFormatException)
        {
            return false;
        }
        return IsLocalPath(url) && IsLocalPath(decoded);
    }

    private static bool IsLocalPath(string url) =>
        url[0] == '/'
        && (url.Length == 1 || url[1] is not ('/' or '\\'))
        && !url.Any(c => c == '\\' || char.IsWhiteSpace(c) || char.IsControl(c));
}
