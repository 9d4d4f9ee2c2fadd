using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Councils;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Workflows;
using Microsoft.AspNetCore.Mvc;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>
/// One council's copy of the raadsinformatiebrief: the header with the municipality and its college's decision date,
/// the shared body, the hash in the footer; as a page, as a Word file, and — for that municipality's griffier — the
/// confirmation that it was placed before the council.
/// </summary>
public sealed class RaadsinformatiebriefModel(CouncilLetters letters, ProcessQueries processes, CommandPipeline pipeline, DecisionWorkflow workflow) : AppPageModel
{
    /// <summary>The copy; null when the coordinator gave no letter with the concept (the griffier can still confirm the council was informed).</summary>
    public CouncilLetterCopy? Copy { get; private set; }

    public string MunicipalityCode { get; private set; } = "";

    public string MunicipalityName { get; private set; } = "";

    public DecisionProcess Process { get; private set; } = null!;

    public string BodyHtml { get; private set; } = "";

    public AgendaItem Item { get; private set; } = null!;

    /// <summary>The other participating municipalities' copies (same body, other header).</summary>
    public IReadOnlyList<string> Others { get; private set; } = [];

    public bool MayConfirm { get; private set; }

    [BindProperty] public DateOnly? Datum { get; set; }
    [BindProperty] public string? Link { get; set; }

    protected override IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string>
    {
        ["informedOn"] = nameof(Datum), ["link"] = nameof(Link),
    };

    public async Task<IActionResult> OnGetAsync(Guid id, string code, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, code, cancellationToken) is { } refused)
            return refused;
        Datum ??= Item.CouncilInformedOn ?? Amsterdam.DateOf(processes.Now);
        Link ??= Item.CouncilLink;
        return Page();
    }

    public async Task<IActionResult> OnGetDocxAsync(Guid id, string code, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, code, cancellationToken) is { } refused)
            return refused;
        return Copy is null ? NotFound() : File(CouncilLetterRendering.Docx(Copy), CouncilLetterRendering.DocxContentType, CouncilLetterRendering.FileName(Copy, "docx"));
    }

    public async Task<IActionResult> OnPostAsync(Guid id, string code, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, code, cancellationToken) is { } refused)
            return refused;
        var request = new ConfirmCouncil(Datum, Link) { Municipality = MunicipalityCode };
        return await CommandAsync(() => pipeline.RunAsync(id, request, Actor, Key(request.Command, new { id, code, request }), null, cancellationToken),
            $"Vastgelegd: de raad van {MunicipalityName} heeft de raadsinformatiebrief ontvangen.",
            () => Redirect("/raad"), () => Task.FromResult<IActionResult>(Page()));
    }

    private async Task<IActionResult?> LoadAsync(Guid id, string code, CancellationToken cancellationToken)
    {
        try
        {
            Copy = await letters.CopyAsync(id, code, Actor, RegionCode, cancellationToken);
        }
        catch (DomainException e) when (e.Code == "council-letter-missing")
        {
            Copy = null;
        }
        catch (DomainException e) when (e.Kind is DomainErrorKind.NotFound)
        {
            return NotFound();
        }
        catch (DomainException e) when (e.Kind is DomainErrorKind.Forbidden)
        {
            return Forbid();
        }
        Process = (await processes.FindAsync(id, Actor, RegionCode, cancellationToken))!;
        Item = Process.Item(code);
        MunicipalityCode = Item.MunicipalityCode;
        MunicipalityName = Copy?.MunicipalityName ?? await letters.NameOfAsync(MunicipalityCode, cancellationToken);
        Others = [.. Process.Items.Select(i => i.MunicipalityCode).Where(c => c != MunicipalityCode).Order(StringComparer.Ordinal)];
        MayConfirm = workflow.PermittedCommands(Process, MunicipalityCode, Actor, processes.Now).Contains(WorkflowCommands.ConfirmCouncil);
        BodyHtml = Copy is null ? "" : CouncilLetterRendering.BodyHtml(Copy.Body);
        return null;
    }
}
