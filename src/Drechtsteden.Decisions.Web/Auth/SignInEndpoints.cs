using System.Net;
using Drechtsteden.Decisions.Web.Audit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Auth;

/// <summary>
/// Cookie sign-in for the web pages: a Dutch form at /inloggen (with an antiforgery token), and /uitloggen. Cookie
/// sessions that call the API with POST, PUT or DELETE must send the antiforgery token too (header X-CSRF-TOKEN).
/// </summary>
public static class SignInEndpoints
{
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";

    public static IServiceCollection AddSignIn(this IServiceCollection services) =>
        services.AddAntiforgery(options =>
        {
            options.HeaderName = AntiforgeryHeader;
            options.Cookie.Name = "drechtsteden.af";
            options.Cookie.SameSite = SameSiteMode.Strict;
        });

    public static IEndpointRouteBuilder MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/inloggen", Form).ExcludeFromDescription().AllowAnonymous();
        app.MapPost("/inloggen", SignInAsync).ExcludeFromDescription().AllowAnonymous().RequireRateLimiting(AuthExtensions.TokenRateLimit);
        app.MapPost("/uitloggen", SignOutAsync).ExcludeFromDescription();
        return app;
    }

    /// <summary>An API call with POST/PUT/DELETE made with the sign-in cookie must carry the antiforgery token.</summary>
    public static IApplicationBuilder UseCookieAntiforgery(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var unsafeMethod = !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method));
        var viaCookie = context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieAuthenticationDefaults.AuthenticationScheme };
        if (unsafeMethod && viaCookie && context.Request.Path.StartsWithSegments("/api"))
        {
            var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                await Results.Problem(title: "Missing antiforgery token", detail: $"A signed-in page must send its antiforgery token in {AntiforgeryHeader}.",
                    statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
                return;
            }
        }
        await next(context);
    });

    private static ContentHttpResult Form(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? fout) =>
        Page(antiforgery.GetAndStoreTokens(context), returnUrl, fout is not null);

    private static async Task<IResult> SignInAsync(HttpContext context, TokenService tokens, [FromForm] string? gebruikersnaam,
        [FromForm] string? wachtwoord, [FromForm] string? returnUrl, CancellationToken cancellationToken)
    {
        // Form binding has already checked the antiforgery token (UseAntiforgery); a missing one is a 400.
        var user = await tokens.CheckPasswordAsync(gebruikersnaam, wachtwoord, cancellationToken);
        var safeReturn = returnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) ? url : "/";
        if (user is null)
            return TypedResults.Redirect($"/inloggen?fout=1&returnUrl={WebUtility.UrlEncode(safeReturn)}");
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, DecisionsClaims.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme));
        return TypedResults.Redirect(safeReturn);
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
            return TypedResults.Problem(title: "Missing antiforgery token", detail: "Sign out from a page of the app.", statusCode: StatusCodes.Status400BadRequest);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.Redirect("/inloggen");
    }

    private static ContentHttpResult Page(AntiforgeryTokenSet tokens, string? returnUrl, bool failed) => TypedResults.Content($"""
        <!doctype html>
        <html lang="nl">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Inloggen – Drechtsteden.Decisions</title></head>
        <body>
        <main>
        <h1>Inloggen</h1>
        {(failed ? "<p role=\"alert\">Gebruikersnaam of wachtwoord onjuist.</p>" : "")}
        <form method="post" action="/inloggen">
          <input type="hidden" name="{tokens.FormFieldName}" value="{WebUtility.HtmlEncode(tokens.RequestToken)}">
          <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl ?? "/")}">
          <p><label for="gebruikersnaam">Gebruikersnaam</label><br><input id="gebruikersnaam" name="gebruikersnaam" autocomplete="username" required></p>
          <p><label for="wachtwoord">Wachtwoord</label><br><input id="wachtwoord" name="wachtwoord" type="password" autocomplete="current-password" required></p>
          <p><button type="submit">Inloggen</button></p>
        </form>
        </main>
        </body>
        </html>
        """, "text/html; charset=utf-8");
}
