using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>The secretary keeps the college's meeting calendar: add, move and cancel meetings (audited); the summer recess is shown.</summary>
public sealed class VergaderkalenderModel(MeetingCommands meetings, DecisionsDbContext db, TimeProvider clock) : AppPageModel
{
    public sealed record Row(Meeting Meeting, int Items);

    public IReadOnlyList<Row> Meetings { get; private set; } = [];
    public string MunicipalityName { get; private set; } = "";
    public bool All { get; private set; }
    public IReadOnlyList<(int Year, DateOnly From, DateOnly Until)> Recesses { get; private set; } = [];

    [BindProperty] public DateOnly? Datum { get; set; }
    [BindProperty] public TimeOnly? Tijd { get; set; }
    [BindProperty] public string? Notitie { get; set; }

    protected override IReadOnlyDictionary<string, string> FormFields { get; } = new Dictionary<string, string>
    {
        ["startsAt"] = nameof(Datum), ["note"] = nameof(Notitie),
    };

    public async Task<IActionResult> OnGetAsync(bool alles, CancellationToken cancellationToken)
    {
        if (Actor.Role != Role.Secretary || Actor.MunicipalityCode is null)
            return Forbid();
        await LoadAsync(alles, cancellationToken);
        return Page();
    }

    public Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken) =>
        CommandAsync(() => meetings.AddAsync(Actor.MunicipalityCode ?? "", new MeetingChange(StartsAt(), Notitie), Actor,
                Key("add-meeting", new { code = Actor.MunicipalityCode, Datum, Tijd, Notitie }), cancellationToken),
            $"De vergadering van {(Datum is { } d ? UiText.Date(d) : "")} is toegevoegd.", () => Redirect("/vergaderkalender"), ReloadAsync(cancellationToken));

    public Task<IActionResult> OnPostMoveAsync(Guid vergadering, CancellationToken cancellationToken) =>
        CommandAsync(() => meetings.MoveAsync(vergadering, new MeetingChange(StartsAt(), Notitie), Actor, cancellationToken),
            Datum is { } day ? $"De vergadering is verplaatst naar {UiText.Date(Amsterdam.At(day, Tijd ?? new TimeOnly(10, 0)))}, {UiText.Time(Amsterdam.At(day, Tijd ?? new TimeOnly(10, 0)))}; de regionale agendapunten erop verhuizen mee." : "De vergadering is verplaatst.", () => Redirect("/vergaderkalender"), ReloadAsync(cancellationToken));

    public Task<IActionResult> OnPostCancelAsync(Guid vergadering, CancellationToken cancellationToken) =>
        CommandAsync(() => meetings.CancelAsync(vergadering, new MeetingChange(null, Notitie), Actor, cancellationToken),
            "De vergadering is geannuleerd.", () => Redirect("/vergaderkalender"), ReloadAsync(cancellationToken));

    private Func<Task<IActionResult>> ReloadAsync(CancellationToken cancellationToken) => async () =>
    {
        await LoadAsync(false, cancellationToken);
        return Page();
    };

    private DateTimeOffset StartsAt() =>
        Datum is { } date
            ? Amsterdam.At(date, Tijd ?? new TimeOnly(10, 0))
            : throw DomainException.Invalid("starts-at-required", "When does the meeting start (startsAt)?", nameof(Datum));

    private async Task LoadAsync(bool all, CancellationToken cancellationToken)
    {
        var code = Actor.MunicipalityCode ?? "";
        All = all;
        MunicipalityName = await db.Municipalities.Where(m => m.Code == code).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken) ?? code;
        var now = clock.GetUtcNow();
        var until = all ? now.AddYears(2) : now.AddDays(183);
        var list = await db.Meetings.AsNoTracking().Where(m => m.MunicipalityCode == code && m.StartsAt >= now.AddDays(-1) && m.StartsAt < until)
            .OrderBy(m => m.StartsAt).ToListAsync(cancellationToken);
        var ids = list.Select(m => m.Id).ToList();
        var counts = await db.AgendaItems.AsNoTracking().Where(i => i.MeetingId != null && ids.Contains(i.MeetingId.Value))
            .GroupBy(i => i.MeetingId!.Value).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        Meetings = list.Select(m => new Row(m, counts.GetValueOrDefault(m.Id))).ToList();
        var year = Amsterdam.DateOf(now).Year;
        Recesses = [.. new[] { year, year + 1 }.Select(y => (y, MeetingCalendar.SummerRecess(y).From, MeetingCalendar.SummerRecess(y).Until))];
    }
}
