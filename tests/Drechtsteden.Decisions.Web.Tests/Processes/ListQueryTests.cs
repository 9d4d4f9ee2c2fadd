using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>The process list's per-college query, written in SQL for speed, against the rule it implements.</summary>
public sealed class ListQueryTests
{
    [Test]
    public async Task Each_colleges_next_meeting_is_its_earliest_planned_one_after_now()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        // Meetings are added in the future (the clock stands at 1 August 2024); then the clock moves past some of them.
        await db.AddMeetingAsync("GM0505", new DateOnly(2024, 8, 6)); // past by then: not next
        await db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 10));
        await db.AddMeetingAsync("GM0505", new DateOnly(2024, 8, 20));
        await db.AddMeetingAsync("GM0590", new DateOnly(2024, 8, 13));
        await db.AddMeetingAsync("GM0482", new DateOnly(2024, 8, 6)); // only past meetings: no next one
        db.Clock.SetUtcNow(new DateTimeOffset(2024, 8, 10, 8, 0, 0, TimeSpan.Zero));
        string[] codes = ["GM0505", "GM0590", "GM0482", "GM0523"];
        var now = db.Clock.GetUtcNow();

        var (next, expected) = await db.InScopeAsync(async sp =>
        {
            var context = sp.GetRequiredService<DecisionsDbContext>();
            var all = await context.Meetings.AsNoTracking().ToListAsync();
            var rule = all.Where(m => codes.Contains(m.MunicipalityCode) && m.Status == MeetingStatus.Planned && m.StartsAt > now)
                .GroupBy(m => m.MunicipalityCode).ToDictionary(g => g.Key, g => g.Min(m => m.StartsAt));
            return (await sp.GetRequiredService<ProcessQueries>().NextMeetingsAsync(codes, now), rule);
        });

        Assert.That(expected.Keys, Is.EquivalentTo(new[] { "GM0505", "GM0590" }), "the test's own data");
        Assert.That(next.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (code, first) in expected)
            Assert.That(next[code], Is.EqualTo(new[] { first }), code);
        Assert.That(next["GM0505"][0].UtcDateTime.Date, Is.EqualTo(new DateTime(2024, 8, 20)));
    }
}
