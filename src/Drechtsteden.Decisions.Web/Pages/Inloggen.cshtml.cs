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
[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(AuthExtensions.SignInRateLimit)]
public sealed class InloggenModel(TokenService tokens) : PageModel
{
    public bool Failed { get; private set; }

    public string ReturnUrl { get; private set; } = "/";

    public void OnGet(string? returnUrl, string? fout)
    {
        ReturnUrl = SafeReturn(returnUrl);
        Failed = fout is not null;
    }

    public async Task<IActionResult> OnPostAsync(string? gebruikersnaam, string? wachtwoord, string? returnUrl, CancellationToken cancellationToken)
    {
        var user = await tokens.CheckPasswordAsync(gebruikersnaam, wachtwoord, cancellationToken);
        var safeReturn = SafeReturn(returnUrl);
        if (user is null)
            return Redirect($"/inloggen?fout=1&returnUrl={WebUtility.UrlEncode(safeReturn)}");
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, DecisionsClaims.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme));
        return Redirect(safeReturn);
    }

    private static string SafeReturn(string? returnUrl) => LocalUrl.IsSafe(returnUrl) ? returnUrl! : "/";
}
