using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Net.Http.Headers;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>
/// How the pages travel: compressed (Brotli, else gzip) for HTML, CSS, JavaScript, JSON, SVG, CSV and iCal; static
/// files with a version in their address (<c>asp-append-version</c>: <c>?v=</c> the file's hash) cached for a year as
/// immutable — a changed file gets a new address — and the rest revalidated (ETag) on every use.
/// </summary>
public static class PageDelivery
{
    /// <summary>The query parameter <c>asp-append-version</c> adds: the SHA-256 of the file.</summary>
    public const string VersionParameter = "v";

    public static IServiceCollection AddPageDelivery(this IServiceCollection services)
    {
        services.AddResponseCompression(options =>
        {
            // BREACH needs a secret repeated in every response beside reflected input; the only secret in a page is the
            // antiforgery token, which Data Protection encrypts anew (random IV) for every response. See docs/security.md.
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(
                ["text/javascript", "image/svg+xml", "application/problem+json", "text/csv", "text/calendar", "text/vnd.mermaid"]).Distinct();
        });
        // Fastest: the pages are generated per request; the large static files are compressed once per browser (immutable).
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }

    public static IApplicationBuilder UseStaticFilesWithCaching(this IApplicationBuilder app) => app.UseStaticFiles(new StaticFileOptions
    {
        OnPrepareResponse = context =>
        {
            var headers = context.Context.Response.Headers;
            headers.CacheControl = context.Context.Request.Query.ContainsKey(VersionParameter)
                ? "public, max-age=31536000, immutable"
                : "no-cache";
        },
    });

    /// <summary>Pages, partials and API answers are not cached by the browser: they are per user and change with every command.</summary>
    public static IApplicationBuilder UseNoStoreForDynamicAnswers(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            if (!context.Response.Headers.ContainsKey(HeaderNames.CacheControl))
                context.Response.Headers.CacheControl = "no-cache, private";
            return Task.CompletedTask;
        });
        await next(context);
    });
}
