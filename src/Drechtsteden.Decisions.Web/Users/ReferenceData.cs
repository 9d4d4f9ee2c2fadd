using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Users;

public sealed class RegionSettings
{
    public string Code { get; set; } = "";

    public string Name { get; set; } = "";

    public List<MunicipalitySettings> Municipalities { get; set; } = [];
}

public sealed class MunicipalitySettings
{
    public string Code { get; set; } = "";

    public string Name { get; set; } = "";

    public DayOfWeek MeetingDay { get; set; } = DayOfWeek.Tuesday;
}

public sealed class DemoDataOptions
{
    public const string Section = "DemoData";

    /// <summary>Demo accounts; null means: in the embedded default only. Never in the Production environment.</summary>
    public bool? Enabled { get; set; }
}

/// <summary>
/// The regions and municipalities are configuration (section "Regions"): another collaboration is a settings
/// change. They are brought into the database, with an audit entry for each addition, whenever the schema is
/// migrated. In the embedded default, demo accounts for every role are added too (README lists them).
/// </summary>
public static class ReferenceData
{
    public static async Task SyncAsync(IServiceProvider services, bool demoAccounts, CancellationToken cancellationToken = default)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var regions = configuration.GetSection("Regions").Get<List<RegionSettings>>() ?? [];
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DecisionsDbContext>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        var hasher = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.IPasswordHasher<UserAccount>>();
        await audit.InTransactionAsync(async () =>
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(4242)", cancellationToken); // several instances starting at once
            foreach (var region in regions)
            {
                foreach (var m in region.Municipalities)
                {
                    if (await db.Municipalities.FindAsync([m.Code], cancellationToken) is null)
                    {
                        db.Municipalities.Add(new Municipality(m.Code, m.Name, m.MeetingDay));
                        await audit.AppendAsync(Actor.SystemActor, new AuditRecord(AuditEntry.SystemChain, "municipality.added", "municipality", m.Code, m.Name,
                            MunicipalityCode: m.Code, After: new JsonObject { ["code"] = m.Code, ["name"] = m.Name, ["meetingDay"] = m.MeetingDay.ToString() }, Status: 201), cancellationToken);
                    }
                }
                if (await db.Regions.FindAsync([region.Code], cancellationToken) is null)
                {
                    db.Regions.Add(new Region(region.Code, region.Name, region.Municipalities.Select(m => m.Code)));
                    await audit.AppendAsync(Actor.SystemActor, new AuditRecord(AuditEntry.SystemChain, "region.added", "region", region.Code, region.Name,
                        After: new JsonObject { ["code"] = region.Code, ["members"] = new JsonArray(region.Municipalities.Select(m => (JsonNode?)JsonValue.Create(m.Code)).ToArray()) },
                        Status: 201), cancellationToken);
                }
            }
            if (demoAccounts)
            {
                await AddDemoCalendarsAsync(db, audit, regions, cancellationToken);
                foreach (var user in DemoAccounts(regions))
                {
                    if (await db.Users.FindAsync([user.Id], cancellationToken) is not null)
                        continue;
                    user.SetPasswordHash(hasher.HashPassword(user, DemoPassword));
                    db.Users.Add(user);
                    await audit.AppendAsync(Actor.SystemActor, new AuditRecord(AuditEntry.SystemChain, "user.created", "user", user.Id, user.DisplayName,
                        MunicipalityCode: user.MunicipalityCode,
                        After: new JsonObject { ["id"] = user.Id, ["role"] = user.Role.ToString(), ["municipality"] = user.MunicipalityCode, ["region"] = user.RegionCode, ["email"] = user.Email },
                        Reason: "demo account", Status: 201), cancellationToken);
                }
            }
        }, cancellationToken);
        if (demoAccounts)
        {
            foreach (var region in regions)
                await Demo.DemoProcesses.SeedAsync(services, region.Code, cancellationToken);
        }
    }

    /// <summary>
    /// Each demo college gets its usual calendar for this year and next (weekly on its meeting day at 10:00, no summer
    /// recess, no public holidays), unless it already has meetings. One audit entry per college lists them.
    /// </summary>
    private static async Task AddDemoCalendarsAsync(DecisionsDbContext db, AuditTrail audit, IReadOnlyList<RegionSettings> regions, CancellationToken cancellationToken)
    {
        var today = Time.Amsterdam.DateOf(DateTimeOffset.UtcNow);
        var until = new DateOnly(today.Year + 1, 12, 31);
        foreach (var m in regions.SelectMany(r => r.Municipalities).DistinctBy(m => m.Code))
        {
            if (await db.Meetings.AnyAsync(x => x.MunicipalityCode == m.Code, cancellationToken))
                continue;
            var meetings = Decisions.Agenda.MeetingCalendar.Weekly(m.MeetingDay, new TimeOnly(10, 0), today.AddDays(1), until)
                .Select(startsAt => new Decisions.Agenda.Meeting(Guid.CreateVersion7(), m.Code, startsAt)).ToList();
            db.Meetings.AddRange(meetings);
            await audit.AppendAsync(Actor.SystemActor, new AuditRecord(AuditEntry.SystemChain, "meeting.added", "meeting", m.Code, $"Demokalender {m.Name}",
                MunicipalityCode: m.Code,
                After: new JsonObject
                {
                    ["meetings"] = meetings.Count,
                    ["ids"] = new JsonArray(meetings.Select(x => (JsonNode?)JsonValue.Create(x.Id.ToString())).ToArray()),
                    ["from"] = meetings.FirstOrDefault()?.StartsAt.ToString("O"),
                    ["until"] = meetings.LastOrDefault()?.StartsAt.ToString("O"),
                },
                Reason: "demo calendar: weekly, no summer recess, no public holidays", Status: 201), cancellationToken);
        }
    }

    /// <summary>The password of every demo account (README). Demo accounts exist only outside Production.</summary>
    public const string DemoPassword = "demo";

    /// <summary>One coordinator, auditor and administrator, and a secretary, a college and a griffier account per municipality.</summary>
    public static IEnumerable<UserAccount> DemoAccounts(IReadOnlyList<RegionSettings> regions)
    {
        const string domain = "demo.drechtsteden-decisions.local";
        yield return new UserAccount("coordinator", "Regiecoördinator (demo)", $"regie@{domain}", Role.Coordinator, regionCode: regions.Count > 0 ? regions[0].Code : null);
        yield return new UserAccount("auditor", "Accountant (demo)", $"audit@{domain}", Role.Auditor);
        yield return new UserAccount("admin", "Functioneel beheerder (demo)", $"beheer@{domain}", Role.Admin);
        foreach (var m in regions.SelectMany(r => r.Municipalities).DistinctBy(m => m.Code))
        {
            var slug = m.Name.ToLowerInvariant().Replace(' ', '-');
            yield return new UserAccount($"secretary-{slug}", $"Gemeentesecretaris {m.Name} (demo)", $"secretaris.{slug}@{domain}", Role.Secretary, m.Code);
            yield return new UserAccount($"college-{slug}", $"Bestuurssecretaris college {m.Name} (demo)", $"college.{slug}@{domain}", Role.College, m.Code);
            yield return new UserAccount($"griffier-{slug}", $"Griffier {m.Name} (demo)", $"griffie.{slug}@{domain}", Role.Griffier, m.Code);
        }
    }
}
