using System.Globalization;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>The processes the user may see, with their state and the days left.</summary>
public sealed class ProcessenModel(ProcessQueries processes, WorkflowCatalog catalog) : AppPageModel
{
    public IReadOnlyList<ProcessSummary> Processes { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Processes = await processes.ListAsync(Actor, RegionCode, 0, ProcessQueries.MaxPageSize, cancellationToken);

    /// <summary>The definition a listed process is pinned to.</summary>
    public WorkflowDefinition DefinitionOf(ProcessSummary process)
    {
        var at = process.Definition.LastIndexOf('@');
        return catalog.Find(process.Definition[..at], int.Parse(process.Definition[(at + 1)..], CultureInfo.InvariantCulture));
    }

    public string StateName(ProcessSummary process) => UiText.State(DefinitionOf(process), MachineKind.Process, process.State);

    public bool IsOpen(ProcessSummary process) => !DefinitionOf(process).Process.IsFinal(process.State);

    /// <summary>The badge colour the definition gives the state.</summary>
    public string StateClass(ProcessSummary process) => StateClass(DefinitionOf(process), process.State);

    public static string StateClass(WorkflowDefinition definition, string state) => definition.Process.State(state)?.Tone switch
    {
        "ok" => "badge--ok",
        "warn" => "badge--warn",
        "bad" => "badge--bad",
        _ => "",
    };
}
