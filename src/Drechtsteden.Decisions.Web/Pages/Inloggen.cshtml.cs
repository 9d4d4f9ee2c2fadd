using System.Net;
using Drechtsteden.Decisions.Web.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>Cookie sign-in with a local account; the form carries an antiforgery token (a POST without one is a 400).</summary>
[AllowAnonymous]
public sealed class InloggenModel(TokenService tokens, SignInThrottle throttle) : PageModel
{
    public bool Failed { get; private set; }

    /// <summary>Too many failed sign-ins from this address within a minute: the form says to wait.</summary>
    public bool Throttled { get; private set; }

    public string ReturnUrl { get; private set; } = "/";

    public void OnGet(string? returnUrl, string? fout)
    {
        ReturnUrl = SafeReturn(returnUrl);
        Failed = fout is not null;
    }

    public async Task<IActionResult> OnPostAsync(string? gebruikersnaam, string? wachtwoord, string? returnUrl, CancellationToken cancellationToken)
    {
        var safeReturn = SafeReturn(returnUrl);
        var address = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.IsBlocked(address))
        {
            ReturnUrl = safeReturn;
            Throttled = true;
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = "60";
            return Page();
        }
        var user = await tokens.CheckPasswordAsync(gebruikersnaam, wachtwoord, cancellationToken);
        if (user is null)
        {
            throttle.Failed(address);
            return Redirect($"/inloggen?fout=1&returnUrl={WebUtility.UrlEncode(safeReturn)}");
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, DecisionsClaims.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme));
        return Redirect(safeReturn);
    }

    private static string SafeReturn(string? returnUrl) => LocalUrl.IsSafe(returnUrl) ? returnUrl! : "/";
}
