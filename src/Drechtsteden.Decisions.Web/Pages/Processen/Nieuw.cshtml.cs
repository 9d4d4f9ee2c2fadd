using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>The coordinator starts a process: title, reference, deadline, concept text and the participating colleges.</summary>
public sealed class NieuwModel(CommandPipeline pipeline, DecisionsDbContext db) : AppPageModel
{
    [BindProperty] public string? Titel { get; set; }
    [BindProperty] public string? Zaaknummer { get; set; }
    [BindProperty] public DateOnly? Termijn { get; set; }
    [BindProperty] public string? Document { get; set; }
    [BindProperty] public string? Concept { get; set; }

    /// <summary>The raadsinformatiebrief's body (Markdown): the seed's six headings are offered as the template.</summary>
    [BindProperty] public string? Raadsinformatiebrief { get; set; }
    [BindProperty] public List<string> Deelnemers { get; set; } = [];

    public IReadOnlyList<Municipality> Members { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string>
    {
        ["title"] = nameof(Titel), ["reference"] = nameof(Zaaknummer), ["deadlineDate"] = nameof(Termijn), ["documentUrl"] = nameof(Document),
        ["conceptText"] = nameof(Concept), ["participants"] = nameof(Deelnemers), ["councilLetter"] = nameof(Raadsinformatiebrief),
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Coordinator)
            return Forbid();
        Raadsinformatiebrief ??= CouncilLetter.Template;
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Guid started = default;
        // The template left as it was offered is no letter yet.
        var letter = string.IsNullOrWhiteSpace(Raadsinformatiebrief) || CouncilLetter.Normalize(Raadsinformatiebrief) == CouncilLetter.Normalize(CouncilLetter.Template) ? null : Raadsinformatiebrief;
        var request = new StartProcess(Titel, Zaaknummer, Concept, string.IsNullOrWhiteSpace(Document) ? null : Document, Termijn, null, null, [.. Deelnemers],
            CouncilLetter: letter);
        if (Termijn is null)
        {
            ModelState.AddModelError(nameof(Termijn), "Vul de termijn in.");
            await LoadAsync(cancellationToken);
            return Page();
        }
        return await CommandAsync(async () => started = (await pipeline.StartAsync(request, Actor, RegionCode, Key(StartProcess.Command, request), cancellationToken)).ProcessId,
            "Het proces is gestart.", () => Redirect($"/processen/{started}"),
            async () => { await LoadAsync(cancellationToken); return Page(); });
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var region = RegionCode is { } code
            ? await db.Regions.AsNoTracking().FirstOrDefaultAsync(r => r.Code == code, cancellationToken)
            : await db.Regions.AsNoTracking().OrderBy(r => r.Code).FirstOrDefaultAsync(cancellationToken);
        var codes = region?.MemberCodes.ToList() ?? [];
        Members = await db.Municipalities.AsNoTracking().Where(m => codes.Contains(m.Code)).OrderBy(m => m.Name).ToListAsync(cancellationToken);
    }
}
