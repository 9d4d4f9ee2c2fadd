using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Councils;

/// <summary>
/// The raadsinformatiebrief of a process as one reader may have it, for the API and the pages alike. Under the
/// embargo only coordinators, auditors and administrators read it, as an undated draft; from the publication instant
/// every reader of the process reads every council's copy, dated with the publication.
/// </summary>
public sealed class CouncilLetters(DecisionsDbContext db, ProcessQueries processes, DecisionWorkflow workflow)
{
    /// <summary>One municipality's copy; a not-found, forbidden or conflict problem says why there is none.</summary>
    public async Task<CouncilLetterCopy> CopyAsync(Guid processId, string municipalityCode, Actor actor, string? region, CancellationToken cancellationToken = default)
    {
        var process = await processes.FindAsync(processId, actor, region, cancellationToken)
            ?? throw DomainException.NotFound("process-not-found", $"Process {processId} does not exist, or is not yours to see.");
        var published = workflow.IsEmbargoLifted(process);
        if (!published && actor.Role.IsMunicipal())
        {
            throw DomainException.Forbidden("council-letter-embargoed",
                "The raadsinformatiebrief is under embargo until the decisions are published; the coordinator releases it.");
        }
        var item = process.Items.FirstOrDefault(i => i.MunicipalityCode == municipalityCode)
            ?? throw DomainException.NotFound("item-not-found", $"Municipality {municipalityCode} does not take part in this process.");
        var name = await NameOfAsync(item.MunicipalityCode, cancellationToken);
        return CouncilLetter.CopyFor(process, item.MunicipalityCode, name, published)
            ?? throw DomainException.NotFound("council-letter-missing", "This process has no raadsinformatiebrief: the coordinator gives its text with a concept version.");
    }

    public async Task<string> NameOfAsync(string municipalityCode, CancellationToken cancellationToken) =>
        await db.Municipalities.AsNoTracking().Where(m => m.Code == municipalityCode).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken) ?? municipalityCode;
}

public static class CouncilLetterExtensions
{
    public static IServiceCollection AddCouncilLetters(this IServiceCollection services) => services.AddScoped<CouncilLetters>();
}
