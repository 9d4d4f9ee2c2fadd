using System.Net;
using Drechtsteden.Decisions.Web.Audit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Auth;

/// <summary>
/// Cookie sign-in for the web pages: the Dutch form is the page /inloggen (with an antiforgery token); /uitloggen here. Cookie
/// sessions that call the API with POST, PUT or DELETE must send the antiforgery token too (header X-CSRF-TOKEN).
/// </summary>
public static class SignInEndpoints
{
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";

    public static IServiceCollection AddSignIn(this IServiceCollection services)
    {
        // One key ring for every instance (in PostgreSQL): a cookie or form token issued by one replica is valid on all.
        services.AddDataProtection().SetApplicationName("drechtsteden-decisions").PersistKeysToDbContext<Data.DecisionsDbContext>();
        return services.AddAntiforgery(options =>
        {
            options.HeaderName = AntiforgeryHeader;
            options.Cookie.Name = "drechtsteden.af";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever the request is HTTPS (also behind a trusted proxy)
        });
    }

    /// <summary>Sign-out; the sign-in form itself is the page /inloggen (Pages/Inloggen.cshtml).</summary>
    public static IEndpointRouteBuilder MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapPost("/uitloggen", SignOutAsync).ExcludeFromDescription();
        return app;
    }

    /// <summary>An API call with POST/PUT/DELETE made with the sign-in cookie must carry the antiforgery token.</summary>
    public static IApplicationBuilder UseCookieAntiforgery(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var unsafeMethod = !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method));
        var viaCookie = context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieAuthenticationDefaults.AuthenticationScheme };
        if (unsafeMethod && viaCookie && Api.ApiExtensions.IsMachinePath(context.Request))
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

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
            return TypedResults.Problem(title: "Missing antiforgery token", detail: "Sign out from a page of the app.", statusCode: StatusCodes.Status400BadRequest);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.Redirect("/inloggen");
    }
}
