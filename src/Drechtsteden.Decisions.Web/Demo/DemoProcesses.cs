using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Demo;

/// <summary>
/// The living demo region's processes, written through the commands at the instants they happened: the source case
/// as a completed 2024 process — its raadsinformatiebrief is the seed's text, and all seven griffiers confirmed that
/// their council received it — and one live process at mixed stages with its deadline five weeks ahead and a draft
/// raadsinformatiebrief. Each is added once (by its reference); a second start adds nothing.
/// </summary>
public static class DemoProcesses
{
    public const string SourceReference = "2023-0080716";
    public const string LiveReference = "DEMO-2026-0001";

    private const string SourceConcept =
        "Het college besluit in te stemmen met de doorontwikkeling van de bestuurlijke samenwerking Drechtsteden, zoals beschreven in het " +
        "regionale concept, en de gemeenteraad hierover te informeren met een raadsinformatiebrief.";

    private const string LiveConcept =
        "Het college besluit in te stemmen met de regionale aanpak voor de uitvoering van de Omgevingswet in de Drechtsteden en de gezamenlijke " +
        "uitvoeringsagenda vast te stellen.";

    /// <summary>The seed's raadsinformatiebrief (Dordrecht, 2024) as Markdown: the source case's letter body.</summary>
    public static string SourceCouncilLetter()
    {
        using var stream = typeof(DemoProcesses).Assembly.GetManifestResourceStream("SourceCaseCouncilLetter.md")
            ?? throw new InvalidOperationException("The source case's letter is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private const string LiveCouncilLetter = """
        ## Hoe zijn de bevoegdheden rond dit onderwerp verdeeld?

        De raad stelt het omgevingsbeleid vast; het college voert de Omgevingswet uit en werkt daarvoor samen met de andere Drechtstedengemeenten.

        ## Wat is de aanleiding om deze informatie kenbaar te maken?

        De zeven colleges besluiten gelijkluidend over een regionale uitvoeringsagenda Omgevingswet. Met deze brief informeren wij u daarover.

        ## Wat is de te delen informatie?

        *Concept — aan te vullen na de besluitvorming in de colleges.*

        ## Hoe verder na deze raadsinformatiebrief?

        De uitvoeringsagenda wordt jaarlijks geëvalueerd.

        ## Welke kosten zijn verbonden aan het proces?

        De uitvoering past binnen de bestaande begrotingen.

        ## Wat zijn de belangrijkste gerelateerde besluiten?

        - Regionale omgevingsvisie Drechtsteden
        """;

    public static async Task SeedAsync(IServiceProvider services, string regionCode, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Data.DecisionsDbContext>();
        var region = await db.Regions.AsNoTracking().FirstOrDefaultAsync(r => r.Code == regionCode, cancellationToken);
        if (region is null || region.MemberCodes.Count == 0)
            return;
        var municipalities = await db.Municipalities.AsNoTracking().Where(m => region.MemberCodes.Contains(m.Code)).OrderBy(m => m.Code).ToListAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => u.RegionCode == regionCode || (u.MunicipalityCode != null && region.MemberCodes.Contains(u.MunicipalityCode))).ToListAsync(cancellationToken);
        var coordinator = users.FirstOrDefault(u => u.Role == Role.Coordinator);
        if (coordinator is null)
            return;
        Actor As(Role role, string code) => users.FirstOrDefault(u => u.Role == role && u.MunicipalityCode == code) is { } u
            ? new Actor(u.Id, u.DisplayName, u.Role, u.MunicipalityCode)
            : throw new InvalidOperationException($"No demo {role} for {code}.");
        var people = new People(new Actor(coordinator.Id, coordinator.DisplayName, Role.Coordinator), code => As(Role.Secretary, code), code => As(Role.College, code),
            code => As(Role.Griffier, code));

        if (!await db.Processes.AnyAsync(p => p.Reference == SourceReference, cancellationToken))
            await SourceCaseAsync(services, region.Code, municipalities, people, cancellationToken);
        if (!await db.Processes.AnyAsync(p => p.Reference == LiveReference, cancellationToken))
            await LiveProcessAsync(services, region.Code, municipalities, people, DateTimeOffset.UtcNow, cancellationToken);
    }

    private sealed record People(Actor Coordinator, Func<string, Actor> Secretary, Func<string, Actor> College, Func<string, Actor> Griffier);

    /// <summary>
    /// 2024: the concept goes out on 10 June; the colleges decide in the weeks before the summer recess and right after
    /// it, Dordrecht on the deadline day itself (Tuesday 10 September); all identical; published the next morning.
    /// </summary>
    private static async Task SourceCaseAsync(IServiceProvider services, string region, IReadOnlyList<Municipality> municipalities, People people,
        CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var at = new CommandsAt(scope.ServiceProvider, new SettableClock(Amsterdam.At(new DateOnly(2024, 6, 10), new TimeOnly(9, 0))));
        var codes = municipalities.Select(m => m.Code).ToArray();
        var start = new StartProcess("Doorontwikkeling bestuurlijke samenwerking Drechtsteden", SourceReference, SourceConcept, null,
            new DateOnly(2024, 9, 10), null, null, codes, region, null, null, SourceCouncilLetter());
        var id = (await at.Pipeline.StartAsync(start, people.Coordinator, region, CommandsAt.Key("start", start), cancellationToken)).ProcessId;

        // Before the recess for most, after it for two, on the deadline day for Dordrecht.
        var meetingWeek = municipalities.ToDictionary(m => m.Code, m => m.Code switch
        {
            "GM0505" => new DateOnly(2024, 9, 9),
            "GM0523" or "GM0642" => new DateOnly(2024, 9, 2),
            _ => new DateOnly(2024, 7, 1),
        });
        foreach (var m in municipalities)
        {
            at.Clock.Now = Amsterdam.At(new DateOnly(2024, 6, 11), new TimeOnly(9, 0));
            var date = OnOrAfter(meetingWeek[m.Code], m.UsualMeetingDay);
            var meeting = await MeetingOnAsync(at, m.Code, date, people.Secretary(m.Code), cancellationToken);
            var schedule = new ScheduleItem(meeting.Id);
            await at.RunAsync(id, schedule with { Municipality = m.Code }, people.Secretary(m.Code), CommandsAt.Key("schedule", new { id, m.Code }), cancellationToken);
        }
        foreach (var m in municipalities.OrderBy(m => OnOrAfter(meetingWeek[m.Code], m.UsualMeetingDay)))
        {
            var date = OnOrAfter(meetingWeek[m.Code], m.UsualMeetingDay);
            at.Clock.Now = Amsterdam.At(date, new TimeOnly(13, 30));
            var decision = new RecordDecision(DecisionOutcome.Adopted, 1, date, null, null);
            await at.RunAsync(id, decision with { Municipality = m.Code }, people.College(m.Code), CommandsAt.Key("decision", new { id, m.Code }), cancellationToken);
        }
        at.Clock.Now = Amsterdam.At(new DateOnly(2024, 9, 11), new TimeOnly(9, 0));
        await at.RunAsync(id, new Publish(null), people.Coordinator, CommandsAt.Key("publish", id), cancellationToken);
        // The secretaries' and griffiers' publication messages went out that morning (and are in the trail as delivered).
        await at.DeliverAsync(id, at.Clock.Now.AddSeconds(40), cancellationToken);
        // The griffiers put the letter on their councils' lists of incoming documents within the week (before the first
        // reminder); the last one to confirm ends the process as "Raden geïnformeerd".
        int[] days = [12, 12, 13, 16, 16, 17, 17];
        var informed = 0;
        foreach (var m in municipalities)
        {
            var on = new DateOnly(2024, 9, days[Math.Min(informed++, days.Length - 1)]);
            at.Clock.Now = Amsterdam.At(on, new TimeOnly(11, 0));
            await at.RunAsync(id, new ConfirmCouncil(on) { Municipality = m.Code }, people.Griffier(m.Code), CommandsAt.Key("council", new { id, m.Code }), cancellationToken);
        }
        // The coordinator's "Alle raden geïnformeerd" went out then too.
        await at.DeliverAsync(id, at.Clock.Now.AddSeconds(40), cancellationToken);
    }

    /// <summary>
    /// Started two weeks ago with its deadline five weeks ahead; the coordinator set the synchronous week the next day.
    /// Three colleges met in the past week: Dordrecht adopted the
    /// concept, Papendrecht amended it (the process is Diverged), Zwijndrecht deferred it. Three are scheduled on
    /// coming meetings; Sliedrecht has not scheduled yet.
    /// </summary>
    private static async Task LiveProcessAsync(IServiceProvider services, string region, IReadOnlyList<Municipality> municipalities, People people,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var today = Amsterdam.DateOf(now);
        var at = new CommandsAt(scope.ServiceProvider, new SettableClock(Amsterdam.At(today.AddDays(-14), new TimeOnly(9, 0))));
        var codes = municipalities.Select(m => m.Code).ToArray();
        var start = new StartProcess("Regionale uitvoeringsagenda Omgevingswet", LiveReference, LiveConcept, null,
            today.AddDays(35), null, null, codes, region, null, null, LiveCouncilLetter);
        var id = (await at.Pipeline.StartAsync(start, people.Coordinator, region, CommandsAt.Key("start", start), cancellationToken)).ProcessId;

        string[] metLastWeek = ["GM0505", "GM0590", "GM0642"];
        // Their last usual meeting day before today (one to seven days ago).
        DateOnly LastMeeting(Municipality m) => OnOrAfter(today.AddDays(-7), m.UsualMeetingDay) is var d && d < today ? d : d.AddDays(-7);
        // The coordinator set the synchronous week the day after the start: the week of the first of last week's meetings.
        at.Clock.Now = Amsterdam.At(today.AddDays(-13), new TimeOnly(9, 30));
        var week = metLastWeek.Select(c => LastMeeting(municipalities.First(m => m.Code == c))).Min();
        await at.RunAsync(id, new PlanTargetWeek(week), people.Coordinator, CommandsAt.Key("target-week", id), cancellationToken);
        foreach (var m in municipalities.Where(m => m.Code != "GM0610"))
        {
            at.Clock.Now = Amsterdam.At(today.AddDays(-13), new TimeOnly(10, 0));
            Meeting meeting;
            if (metLastWeek.Contains(m.Code))
                meeting = await MeetingOnAsync(at, m.Code, LastMeeting(m), people.Secretary(m.Code), cancellationToken);
            else
            {
                var afterToday = Amsterdam.StartOfDay(today.AddDays(1));
                meeting = await at.Db.Meetings.AsNoTracking().Where(x => x.MunicipalityCode == m.Code && x.Status == MeetingStatus.Planned && x.StartsAt >= afterToday)
                    .OrderBy(x => x.StartsAt).FirstOrDefaultAsync(cancellationToken)
                    ?? await MeetingOnAsync(at, m.Code, OnOrAfter(today.AddDays(7), m.UsualMeetingDay), people.Secretary(m.Code), cancellationToken);
            }
            await at.RunAsync(id, new ScheduleItem(meeting.Id) { Municipality = m.Code }, people.Secretary(m.Code), CommandsAt.Key("schedule", new { id, m.Code }), cancellationToken);
        }

        foreach (var code in metLastWeek.OrderBy(c => LastMeeting(municipalities.First(m => m.Code == c))))
        {
            var decided = LastMeeting(municipalities.First(m => m.Code == code));
            at.Clock.Now = Amsterdam.At(decided, new TimeOnly(14, 0));
            var decision = code switch
            {
                "GM0505" => new RecordDecision(DecisionOutcome.Adopted, 1, decided, null, null),
                "GM0590" => new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, decided,
                    LiveConcept.Replace("vast te stellen.", "vast te stellen, met een jaarlijkse voortgangsrapportage aan de raad.", StringComparison.Ordinal), null),
                _ => new RecordDecision(DecisionOutcome.Deferred, 1, decided, null, "Het college wil eerst de financiële paragraaf met de raadscommissie bespreken."),
            };
            await at.RunAsync(id, decision with { Municipality = code }, people.College(code), CommandsAt.Key("decision", new { id, code }), cancellationToken);
        }
    }

    /// <summary>The college's meeting on that day, added by its secretary (audited) when the calendar lacks it.</summary>
    private static async Task<Meeting> MeetingOnAsync(CommandsAt at, string code, DateOnly date, Actor secretary, CancellationToken cancellationToken)
    {
        var from = Amsterdam.StartOfDay(date);
        var until = Amsterdam.StartOfDay(date.AddDays(1));
        return await at.Db.Meetings.AsNoTracking().FirstOrDefaultAsync(m => m.MunicipalityCode == code && m.Status == MeetingStatus.Planned && m.StartsAt >= from && m.StartsAt < until, cancellationToken)
            ?? await at.Meetings.AddAsync(code, new MeetingChange(Amsterdam.At(date, new TimeOnly(10, 0))), secretary, CommandsAt.Key("add-meeting", new { code, date }), cancellationToken);
    }

    public static DateOnly OnOrAfter(DateOnly date, DayOfWeek day) => date.AddDays(((int)day - (int)date.DayOfWeek + 7) % 7);
}
