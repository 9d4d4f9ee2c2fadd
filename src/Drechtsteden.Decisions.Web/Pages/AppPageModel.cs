using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// What every signed-in page has: the actor, a one-line message after a command (Post/Redirect/Get), and a way to
/// run a command that turns the domain's refusals into Dutch form errors instead of an error page.
/// </summary>
public abstract class AppPageModel : PageModel
{
    /// <summary>Shown once on the next page (a command's outcome).</summary>
    [TempData]
    public string? Notice { get; set; }

    /// <summary>A hidden field in every command form: a double-click or a resubmitted form runs the command once.</summary>
    [BindProperty]
    public string? FormKey { get; set; }

    public Actor Actor => User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");

    public string? RegionCode => User.FindFirst(DecisionsClaims.Region)?.Value;

    public string NewFormKey() => Guid.NewGuid().ToString("N");

    protected CommandKey Key(string command, object payload) =>
        new(string.IsNullOrWhiteSpace(FormKey) || FormKey.Length > 200 ? null : "form:" + FormKey, command, payload);

    /// <summary>
    /// Runs a command. On success: the notice, and a redirect (so a reload does not post again). On a refusal: the
    /// Dutch reason as a form error, and the page again with what the user typed.
    /// </summary>
    protected async Task<IActionResult> CommandAsync(Func<Task> command, string notice, Func<IActionResult> onSuccess, Func<Task<IActionResult>> onRefused)
    {
        try
        {
            await command();
        }
        catch (DomainException e)
        {
            ModelState.AddModelError(e.Field ?? "", UiText.Error(e));
            return await onRefused();
        }
        catch (StaleVersionException)
        {
            ModelState.AddModelError("", "Iemand anders heeft het proces intussen gewijzigd. Bekijk de nieuwe stand en probeer het opnieuw.");
            return await onRefused();
        }
        Notice = notice;
        return onSuccess();
    }
}
