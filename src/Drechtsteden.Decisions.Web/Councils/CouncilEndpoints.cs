using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Drechtsteden.Decisions.Web.Councils;

/// <summary>A council's copy of the raadsinformatiebrief: JSON (header, body, hash), HTML or .docx.</summary>
public static class CouncilEndpoints
{
    /// <summary>The copy as data: the header lines, the Markdown body, its HTML, and the hash every copy's footer prints.</summary>
    public sealed record CouncilLetterDto(Guid ProcessId, string Municipality, string MunicipalityName, bool Draft, DateOnly? Date, string Reference, string Title,
        DateOnly? CollegeDecidedOn, int ConceptVersion, string BodyMarkdown, string BodyHtml, string BodyHash, string Footer);

    public static RouteGroupBuilder MapCouncilEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/processes/{id:guid}/council-letters/{code}", GetAsync).WithName("GetCouncilLetter").WithTags("Councils")
            .Produces<CouncilLetterDto>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status200OK, contentType: CouncilLetterRendering.DocxContentType)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary><paramref name="format"/>: json (default), html (the body only) or docx.</summary>
    private static async Task<IResult> GetAsync(Guid id, string code, string? format, HttpContext context, CouncilLetters letters, CancellationToken cancellationToken)
    {
        var actor = context.User.ToActor() ?? throw DomainException.Forbidden("no-role", "Your account has no role in Drechtsteden.Decisions.");
        var copy = await letters.CopyAsync(id, code, actor, context.User.FindFirst(DecisionsClaims.Region)?.Value, cancellationToken);
        return format switch
        {
            null or "json" => TypedResults.Ok(ToDto(copy)),
            "html" => TypedResults.Content(CouncilLetterRendering.BodyHtml(copy.Body), "text/html; charset=utf-8"),
            "docx" => TypedResults.File(CouncilLetterRendering.Docx(copy), CouncilLetterRendering.DocxContentType, CouncilLetterRendering.FileName(copy, "docx")),
            _ => throw DomainException.Invalid("format-unknown", "The format is json, html or docx.", "format"),
        };
    }

    public static CouncilLetterDto ToDto(CouncilLetterCopy copy) => new(copy.ProcessId, copy.MunicipalityCode, copy.MunicipalityName, copy.IsDraft, copy.Date, copy.Reference,
        copy.Title, copy.CollegeDecidedOn, copy.ConceptVersion, copy.Body, CouncilLetterRendering.BodyHtml(copy.Body), copy.BodyHash, copy.Footer);
}
