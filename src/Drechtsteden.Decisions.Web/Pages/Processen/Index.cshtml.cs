using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>The processes the user may see, with their state and the days left.</summary>
public sealed class ProcessenModel(ProcessService processes, WorkflowCatalog catalog) : AppPageModel
{
    public IReadOnlyList<ProcessSummary> Processes { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Processes = await processes.ListAsync(Actor, RegionCode, 0, ProcessService.MaxPageSize, cancellationToken);

    public string StateName(string state) =>
        catalog.All.Select(d => UiText.State(d, MachineKind.Process, state)).FirstOrDefault(n => n != state) ?? state;

    public static string StateClass(string state) => state switch
    {
        "Synchronized" or "Published" or "PublicationPlanned" => "badge--ok",
        "Diverged" => "badge--warn",
        "Overdue" or "Cancelled" => "badge--bad",
        _ => "",
    };
}
