using System.Text.Json;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Api;

/// <summary>
/// Every error reaches the caller as RFC 7807 problem details with a sentence a person understands: rule violations
/// with their code (and the field at fault), stale copies as 412, malformed input as 400, a database that is away as
/// 503 with Retry-After. Never a stack trace, never a 500 for bad input.
/// </summary>
public static class ApiErrors
{
    public static IServiceCollection AddApiErrors(this IServiceCollection services)
    {
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["correlationId"] = context.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }

    public static (int Status, string Title) StatusOf(DomainErrorKind kind) => kind switch
    {
        DomainErrorKind.BadInput => (StatusCodes.Status400BadRequest, "The input does not fit"),
        DomainErrorKind.Invalid => (StatusCodes.Status422UnprocessableEntity, "The request breaks a rule"),
        DomainErrorKind.Forbidden => (StatusCodes.Status403Forbidden, "Not allowed"),
        DomainErrorKind.NotFound => (StatusCodes.Status404NotFound, "Not found"),
        _ => (StatusCodes.Status409Conflict, "Not possible now"),
    };

    private sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            ProblemDetails problem;
            switch (exception)
            {
                case DomainException e:
                    var (status, title) = StatusOf(e.Kind);
                    problem = e.Field is { } field
                        ? new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [e.Message] }) { Status = status, Title = title, Detail = e.Message }
                        : new ProblemDetails { Status = status, Title = title, Detail = e.Message };
                    problem.Extensions["code"] = e.Code;
                    break;
                case StaleVersionException e:
                    problem = new ProblemDetails { Status = StatusCodes.Status412PreconditionFailed, Title = "Changed by someone else", Detail = e.Message };
                    problem.Extensions["code"] = "stale-version";
                    break;
                case BadHttpRequestException e:
                    problem = new ProblemDetails { Status = e.StatusCode, Title = "Malformed request", Detail = Readable(e) };
                    problem.Extensions["code"] = "malformed-request";
                    break;
                case JsonException e:
                    problem = new ProblemDetails { Status = StatusCodes.Status400BadRequest, Title = "Malformed JSON", Detail = e.Message };
                    problem.Extensions["code"] = "malformed-request";
                    break;
                case var e when DatabaseExtensions.IsDatabaseUnavailable(e):
                    context.Response.Headers.RetryAfter = "10";
                    problem = new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = "Temporarily unavailable", Detail = "The database cannot be reached; nothing was changed. Try again shortly." };
                    problem.Extensions["code"] = "database-unavailable";
                    break;
                default:
                    return false;
            }
            context.Response.StatusCode = problem.Status!.Value;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
        }

        private static string Readable(BadHttpRequestException e) =>
            e.InnerException is JsonException json ? $"The body is not valid JSON for this request: {json.Message}" : e.Message;
    }
}
