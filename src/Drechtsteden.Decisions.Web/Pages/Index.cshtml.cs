using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>The start page is the signed-in user's own work.</summary>
public sealed class IndexModel : AppPageModel
{
    public IActionResult OnGet() => Redirect(Actor.Role switch
    {
        Role.Secretary => "/te-agenderen",
        Role.College => "/besluiten",
        Role.Griffier => "/raad",
        _ => "/processen",
    });
}
