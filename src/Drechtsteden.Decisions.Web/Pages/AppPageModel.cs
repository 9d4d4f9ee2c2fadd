using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// What every signed-in page has: the actor, a one-line message after a command (Post/Redirect/Get), and a way to
/// run a command that turns the domain's refusals into Dutch form errors — next to the field at fault, with the HTTP
/// status the API would give — instead of an error page.
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

    /// <summary>The form's input for a command field the domain names (API spelling → the page's Dutch field name).</summary>
    protected virtual IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string>();

    protected CommandKey Key(string command, object payload) =>
        new(string.IsNullOrWhiteSpace(FormKey) || FormKey.Length > Input.Limits.IdempotencyKey ? null : "form:" + FormKey, command, payload);

    /// <summary>The Dutch error for one of the form's fields, if the last command was refused because of it.</summary>
    public string? ErrorFor(string field) =>
        ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;

    /// <summary>
    /// Runs a command. On success: the notice, and a redirect (so a reload does not post again). On a refusal: the
    /// Dutch reason next to its field (or above the form), the page again with what the user typed, and the status
    /// the API gives for that refusal (400 for input that does not fit, 422, 409, 403).
    /// </summary>
    protected async Task<IActionResult> CommandAsync(Func<Task> command, string notice, Func<IActionResult> onSuccess, Func<Task<IActionResult>> onRefused)
    {
        try
        {
            await command();
        }
        catch (DomainException e)
        {
            ModelState.AddModelError(e.Field is { } field ? FormFields.GetValueOrDefault(field, field) : "", UiText.Error(e));
            return WithStatus(await onRefused(), ApiErrors.StatusOf(e.Kind).Status);
        }
        catch (StaleVersionException)
        {
            ModelState.AddModelError("", "Iemand anders heeft het proces intussen gewijzigd. Bekijk de nieuwe stand en probeer het opnieuw.");
            return WithStatus(await onRefused(), StatusCodes.Status412PreconditionFailed);
        }
        Notice = notice;
        return onSuccess();
    }

    private static IActionResult WithStatus(IActionResult result, int status)
    {
        if (result is PageResult page)
            page.StatusCode = status;
        return result;
    }
}
