using Drechtsteden.Decisions.Processes;

namespace Drechtsteden.Decisions.Workflows;

/// <summary>Definition versions in memory, by id and version. The host fills it from the database at start-up.</summary>
public sealed class WorkflowDefinitionSet : IWorkflowDefinitions
{
    private readonly Dictionary<(string Id, int Version), WorkflowDefinition> _versions = [];

    public IEnumerable<WorkflowDefinition> All => _versions.Values.OrderBy(d => d.DefinitionId, StringComparer.Ordinal).ThenBy(d => d.Version);

    public void Add(WorkflowDefinition definition) => _versions[(definition.DefinitionId, definition.Version)] = definition;

    public WorkflowDefinition Find(string definitionId, int version) =>
        _versions.TryGetValue((definitionId, version), out var definition)
            ? definition
            : throw DomainException.NotFound("definition-not-found", $"Workflow definition '{definitionId}' version {version} is not known.");

    public WorkflowDefinition Latest(string definitionId) =>
        _versions.Values.Where(d => d.DefinitionId == definitionId).MaxBy(d => d.Version)
        ?? throw DomainException.NotFound("definition-not-found", $"Workflow definition '{definitionId}' is not known.");
}
