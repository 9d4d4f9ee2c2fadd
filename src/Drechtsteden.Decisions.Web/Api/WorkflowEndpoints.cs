using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Drechtsteden.Decisions.Web.Api;

public sealed record WorkflowSummary(string DefinitionId, int Version, string Name, string? Description, string ContentHash);

/// <summary>The stored workflow definition versions and their diagrams.</summary>
public static class WorkflowEndpoints
{
    public static RouteGroupBuilder MapWorkflowEndpoints(this RouteGroupBuilder api)
    {
        var workflows = api.MapGroup("/workflows").WithTags("Workflows");
        workflows.MapGet("/", List).WithName("ListWorkflows");
        workflows.MapGet("/{definitionId}/versions/{version:int}", Get).WithName("GetWorkflowVersion")
            .Produces<string>(StatusCodes.Status200OK, "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        workflows.MapGet("/{definitionId}/versions/{version:int}/diagram", Diagram).WithName("GetWorkflowDiagram")
            .Produces<string>(StatusCodes.Status200OK, "text/vnd.mermaid").ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static Ok<List<WorkflowSummary>> List(WorkflowCatalog catalog) =>
        TypedResults.Ok(catalog.All.Select(d => new WorkflowSummary(d.DefinitionId, d.Version, d.Name, d.Description, d.ContentHash)).ToList());

    /// <summary>The definition exactly as stored (its JSON), so a running process's rules can always be read back.</summary>
    private static ContentHttpResult Get(string definitionId, int version, WorkflowCatalog catalog) =>
        TypedResults.Text(catalog.Find(definitionId, version).Json, "application/json; charset=utf-8");

    /// <summary>Mermaid state diagrams of the process and of an agenda item (<c>?machine=item</c>).</summary>
    private static ContentHttpResult Diagram(string definitionId, int version, string? machine, WorkflowCatalog catalog)
    {
        var kind = machine switch
        {
            null or "process" => MachineKind.Process,
            "item" => MachineKind.Item,
            _ => throw DomainException.Invalid("machine-unknown", "machine is process or item.", "machine"),
        };
        return TypedResults.Text(WorkflowDiagram.Mermaid(catalog.Find(definitionId, version), kind), "text/vnd.mermaid; charset=utf-8");
    }
}
