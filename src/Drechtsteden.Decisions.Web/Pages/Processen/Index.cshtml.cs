using System.Globalization;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>
/// The processes the user may see — the coordinator's start page: each open process with its status light, the
/// colleges that need attention and the next step. Search on title and zaaknummer, filters on state, deadline and
/// "mijn acties", and a choice of order; all in the address, so a filtered list can be bookmarked.
/// </summary>
public sealed class ProcessenModel(ProcessQueries processes, WorkflowCatalog catalog, Data.DecisionsDbContext db) : AppPageModel
{
    public IReadOnlyDictionary<string, string> Names { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyList<ProcessSummary> Processes { get; private set; } = [];

    /// <summary>How many processes there are before the filters (the search is part of the query).</summary>
    public int Total { get; private set; }

    [BindProperty(SupportsGet = true, Name = "q")] public string? Zoek { get; set; }

    /// <summary>open (default), afgesloten, alle, or a state's name.</summary>
    [BindProperty(SupportsGet = true, Name = "stand")] public string? Stand { get; set; }

    /// <summary>verstreken, 14, 30, 90 (days ahead), or empty.</summary>
    [BindProperty(SupportsGet = true, Name = "termijn")] public string? Termijn { get; set; }

    [BindProperty(SupportsGet = true, Name = "mijn")] public bool MijnActies { get; set; }

    /// <summary>termijn (default), licht, titel, zaaknummer.</summary>
    [BindProperty(SupportsGet = true, Name = "sorteer")] public string? Sorteer { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Zoek is { Length: > Input.Limits.Title })
        {
            ModelState.AddModelError(nameof(Zoek), UiText.Error(DomainException.Invalid("search-too-long", "", "q")));
            Zoek = Zoek[..Input.Limits.Title];
        }
        var all = await processes.ListAsync(Actor, RegionCode, 0, ProcessQueries.MaxPageSize, Zoek, cancellationToken);
        Total = all.Count;
        IEnumerable<ProcessSummary> shown = all;
        shown = (Stand ?? "open") switch
        {
            "open" => shown.Where(IsOpen),
            "afgesloten" => shown.Where(p => !IsOpen(p)),
            "alle" => shown,
            var state => shown.Where(p => p.State == state),
        };
        shown = Termijn switch
        {
            "verstreken" => shown.Where(p => p.DaysLeft <= 0 && IsOpen(p)),
            { } days when int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => shown.Where(p => p.DaysLeft > 0 && p.DaysLeft <= n),
            _ => shown,
        };
        if (MijnActies)
            shown = shown.Where(p => p.MyAction is not null);
        shown = Sorteer switch
        {
            "licht" => shown.OrderByDescending(p => IsOpen(p) ? (int?)p.Light ?? -1 : -2).ThenBy(p => p.Deadline),
            "titel" => shown.OrderBy(p => p.Title, StringComparer.Create(UiText.Dutch, ignoreCase: true)),
            "zaaknummer" => shown.OrderBy(p => p.Reference, StringComparer.Ordinal),
            _ => shown.OrderBy(p => p.Deadline),
        };
        Processes = shown.ToList();
        Names = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToDictionaryAsync(db.Municipalities, m => m.Code, m => m.Name, cancellationToken);
        return Page();
    }

    /// <summary>The states of the definitions the listed processes use, for the state filter: (name, display name).</summary>
    public IEnumerable<(string Name, string DisplayName)> States() =>
        catalog.All.GroupBy(d => d.DefinitionId).Select(g => g.MaxBy(d => d.Version)!)
            .SelectMany(d => d.Process.States.Select(s => (s.Name, s.DisplayName ?? s.Name)))
            .DistinctBy(s => s.Name);

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
