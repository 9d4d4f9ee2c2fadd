using Drechtsteden.Decisions.Web.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Drechtsteden.Decisions.Web.Zgw;

/// <summary>
/// The ZGW Besluiten API, read-only, in the shapes of version 1.0.x: /zgw/besluiten/api/v1/besluiten (filters
/// verantwoordelijkeOrganisatie and identificatie, paged), /besluiten/{uuid} and /besluiten/{uuid}/audittrail.
/// </summary>
public static class ZgwEndpoints
{
    public const string ApiVersion = "1.0.2";

    public static IServiceCollection AddZgw(this IServiceCollection services)
    {
        services.AddOptions<ZgwOptions>().BindConfiguration(ZgwOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ZgwOptions>, ZgwOptionsValidation>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ZgwOptions>>().Value);
        services.AddScoped<Besluiten>();
        return services;
    }

    public static WebApplication MapZgw(this WebApplication app)
    {
        var zgw = app.MapGroup("/zgw/besluiten/api/v1").RequireAuthorization().WithTags("ZGW Besluiten API")
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers["API-version"] = ApiVersion;
                if (context.HttpContext.RequestServices.GetRequiredService<ZgwOptions>().DemoNumbers)
                    context.HttpContext.Response.Headers["X-Demo-Rsin"] = "fictief: de RSIN's van deze demo halen de 11-proef maar horen bij geen enkele organisatie";
                return await next(context);
            })
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        if (app.Services.GetRequiredService<ZgwOptions>().DemoNumbers)
            app.Logger.LogWarning("ZGW Besluiten API: the RSINs are the demo's invented numbers; they pass the 11-proef but belong to no organisation. Configure Zgw:Rsin with the real ones.");
        zgw.MapGet("/besluiten", ListAsync).WithName("ZgwBesluitList");
        zgw.MapGet("/besluiten/{uuid:guid}", GetAsync).WithName("ZgwBesluitRead").ProducesProblem(StatusCodes.Status404NotFound);
        zgw.MapGet("/besluiten/{uuid:guid}/audittrail", AuditTrailAsync).WithName("ZgwBesluitAudittrail").ProducesProblem(StatusCodes.Status404NotFound)
            .Produces<System.Text.Json.Nodes.JsonArray>();
        return app;
    }

    private static Task<BesluitenPage> ListAsync(HttpContext context, Besluiten besluiten, string? verantwoordelijkeOrganisatie, string? identificatie, int? page,
        CancellationToken cancellationToken) =>
        besluiten.ListAsync(Besluiten.ScopeOf(context.User), verantwoordelijkeOrganisatie, identificatie, page ?? 1, cancellationToken);

    private static async Task<Results<Ok<Besluit>, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> GetAsync(Guid uuid, HttpContext context, Besluiten besluiten,
        CancellationToken cancellationToken) =>
        await besluiten.GetAsync(Besluiten.ScopeOf(context.User), uuid, cancellationToken) is { } besluit ? TypedResults.Ok(besluit) : TypedResults.NotFound(NotFound(uuid));

    private static async Task<Results<Ok<System.Text.Json.Nodes.JsonArray>, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> AuditTrailAsync(Guid uuid, HttpContext context,
        Besluiten besluiten, CancellationToken cancellationToken) =>
        await besluiten.AuditTrailAsync(Besluiten.ScopeOf(context.User), uuid, cancellationToken) is { } trail ? TypedResults.Ok(trail) : TypedResults.NotFound(NotFound(uuid));

    private static Microsoft.AspNetCore.Mvc.ProblemDetails NotFound(Guid uuid) => new()
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Not found",
        Detail = $"Besluit {uuid} does not exist, is not published yet, or is not yours to read.",
        Extensions = { ["code"] = "besluit-not-found" },
    };
}
