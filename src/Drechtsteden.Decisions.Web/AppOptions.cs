namespace Drechtsteden.Decisions.Web;

public sealed class AppOptions
{
    public const string Section = "App";

    /// <summary>The address people and systems reach the app at: links in e-mails, URLs in audit exports.</summary>
    public Uri PublicBaseUrl { get; set; } = new("http://127.0.0.1:5080/");
}
