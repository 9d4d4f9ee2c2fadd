using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Pages.Besluiten;

/// <summary>
/// The college records its decision: outcome, date, the adopted text (prefilled with the concept) with a live word
/// diff against the concept while it is edited, and a reason when it defers.
/// </summary>
public sealed class VastleggenModel(ProcessQueries processes, CommandPipeline pipeline, DecisionWorkflow workflow) : AppPageModel
{
    /// <summary>Whether the item awaits this college's decision now (the engine's permitted commands); the form is shown only then.</summary>
    public bool AwaitsDecision { get; private set; }

    public DateTimeOffset Now => processes.Now;

    public DecisionProcess Process { get; private set; } = null!;
    public AgendaItem Item { get; private set; } = null!;
    public ConceptVersion Concept => Process.CurrentConcept;

    [BindProperty] public DecisionOutcome? Uitkomst { get; set; }
    [BindProperty] public DateOnly? Besluitdatum { get; set; }
    [BindProperty] public string? Tekst { get; set; }
    [BindProperty] public string? Reden { get; set; }
    [BindProperty] public int? Conceptversie { get; set; }

    protected override IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string>
    {
        ["outcome"] = nameof(Uitkomst), ["decidedOn"] = nameof(Besluitdatum), ["text"] = nameof(Tekst), ["reason"] = nameof(Reden), ["conceptVersion"] = nameof(Uitkomst),
    };

    public static readonly DecisionOutcome[] Outcomes = [DecisionOutcome.Adopted, DecisionOutcome.AdoptedWithAmendments, DecisionOutcome.Rejected, DecisionOutcome.Deferred];

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
            return NotFound();
        Tekst ??= Concept.Text;
        Besluitdatum ??= Item.MeetingStartsAt is { } at && Amsterdam.DateOf(at) <= Amsterdam.DateOf(processes.Now) ? Amsterdam.DateOf(at) : Amsterdam.DateOf(processes.Now);
        return Page();
    }

    /// <summary>The word diff of the text being edited against the concept (htmx, as the college types).</summary>
    public async Task<IActionResult> OnPostDiffAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
            return NotFound();
        return Partial("_DecisionDiff", this);
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
            return NotFound();
        var code = Actor.MunicipalityCode ?? "";
        var request = new RecordDecision(Uitkomst, Conceptversie ?? Concept.Number, Besluitdatum,
            Uitkomst is DecisionOutcome.Deferred or DecisionOutcome.Rejected && TextComparison.AreIdentical(Tekst, Concept.Text) ? null : Tekst, Reden) { Municipality = code };
        return await CommandAsync(() => pipeline.RunAsync(id, request, Actor, Key(request.Command, new { id, code, request }), null, cancellationToken),
            Uitkomst == DecisionOutcome.Deferred ? "Het aanhouden is vastgelegd; de secretaris agendeert het punt opnieuw." : "Het besluit is vastgelegd.",
            () => Redirect("/besluiten"), () => Task.FromResult<IActionResult>(Page()));
    }

    public IReadOnlyList<DiffSegment> Diff => TextComparison.WordDiff(Concept.Text, Tekst ?? "");

    public bool Differs => !TextComparison.AreIdentical(Concept.Text, Tekst);

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.College || Actor.MunicipalityCode is not { } code)
            return false;
        var process = await processes.FindAsync(id, Actor, RegionCode, cancellationToken);
        if (process is null || process.Items.All(i => i.MunicipalityCode != code))
            return false;
        Process = process;
        Item = process.Item(code);
        AwaitsDecision = workflow.PermittedCommands(process, code, Actor, processes.Now).Contains(WorkflowCommands.Decide);
        return true;
    }
}
