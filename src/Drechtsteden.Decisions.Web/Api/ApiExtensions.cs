using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Councils;
using Drechtsteden.Decisions.Web.Webhooks;
using Scalar.AspNetCore;

namespace Drechtsteden.Decisions.Web.Api;

/// <summary>The HTTP API under /api, its OpenAPI document (/openapi/v1.json) and reference (/scalar), and the security headers.</summary>
public static class ApiExtensions
{
    /// <summary>Machine interfaces — the API and the ZGW Besluiten API — answer with status codes and problem details, never with a page or a redirect.</summary>
    public static bool IsMachinePath(this HttpRequest request) =>
        request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || request.Path.StartsWithSegments("/zgw", StringComparison.OrdinalIgnoreCase)
        || request.Path.StartsWithSegments("/woo", StringComparison.OrdinalIgnoreCase);

    public static IServiceCollection AddDecisionsApi(this IServiceCollection services)
    {
        services.AddApiErrors();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Drechtsteden.Decisions API";
            document.Info.Description = "Synchronized, identically worded decisions by several municipal executive boards. Errors are RFC 7807 problem details; commands honour If-Match and Idempotency-Key.";
            return Task.CompletedTask;
        }));
        return services;
    }

    public static WebApplication MapDecisionsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapProcessEndpoints();
        api.MapCalendarEndpoints();
        api.MapWorkflowEndpoints();
        api.MapAccountEndpoints();
        api.MapAuditEndpoints();
        api.MapCouncilEndpoints();
        api.MapWebhookEndpoints();
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }

    /// <summary>Headers every answer carries: no sniffing, no framing by other sites, no referrer leaks, nothing from elsewhere.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        // The API reference (Scalar) and the Hangfire dashboard bring inline scripts of their own; everything else gets the strict policy.
        if (!context.Request.Path.StartsWithSegments("/scalar") && !context.Request.Path.StartsWithSegments("/hangfire"))
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
        await next(context);
    });
}
