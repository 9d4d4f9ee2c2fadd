using System.Net.Http.Json;
using System.Text.Json;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Ical.Net;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>The iCalendar feeds, parsed back with Ical.Net.</summary>
public sealed class CalendarTests
{
    [Test]
    public async Task Meetings_scheduled_items_and_deadlines_come_out_as_iCalendar()
    {
        var database = await Jobs.TimerHarness.SeededDatabaseAsync();
        await using var app = new DecisionsAppFactory(database.App, settings: new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        using var coordinator = app.CreateClient();
        coordinator.DefaultRequestHeaders.Add(TestAuthentication.Header, "coordinator;Coordinator");
        using var dordrecht = app.CreateClient();
        dordrecht.DefaultRequestHeaders.Add(TestAuthentication.Header, "secretary-GM0505;Secretary;GM0505");

        var deadline = Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(30);
        using var started = await coordinator.PostAsJsonAsync("/api/processes", new
        {
            title = "Regionale energiestrategie", reference = "2024-1", conceptText = "Tekst", deadlineDate = deadline, participants = new[] { "GM0505", "GM0590" },
        });
        var process = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("processId").GetGuid();
        var meetingAt = Amsterdam.At(Amsterdam.DateOf(DateTimeOffset.UtcNow).AddDays(7), new TimeOnly(10, 0));
        using var added = await dordrecht.PostAsJsonAsync("/api/municipalities/GM0505/meetings", new { startsAt = meetingAt, note = "Extra vergadering" });
        var meetingId = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        (await dordrecht.PostAsJsonAsync($"/api/processes/{process}/items/GM0505/schedule", new { meetingId })).EnsureSuccessStatusCode();

        var municipality = Calendar.Load(await dordrecht.GetStringAsync(new Uri("/api/municipalities/GM0505/calendar.ics", UriKind.Relative)))!;
        var summaries = municipality.Events.Select(e => e.Summary).ToList();
        Assert.That(summaries, Does.Contain("Collegevergadering GM0505"));
        Assert.That(summaries, Does.Contain("Geagendeerd (GM0505): Regionale energiestrategie"));
        Assert.That(summaries, Does.Contain("Termijn: Regionale energiestrategie"));
        var meeting = municipality.Events.Single(e => e.Summary == "Collegevergadering GM0505");
        Assert.That(meeting.DtStart!.AsUtc, Is.EqualTo(meetingAt.UtcDateTime));
        Assert.That(meeting.Description, Is.EqualTo("Extra vergadering"));

        var processFeed = Calendar.Load(await coordinator.GetStringAsync(new Uri($"/api/processes/{process}/calendar.ics", UriKind.Relative)))!;
        var termijn = processFeed.Events.Single(e => e.Summary!.StartsWith("Termijn", StringComparison.Ordinal));
        Assert.That(termijn.DtStart!.AsUtc, Is.EqualTo(Deadline.EndOfDay(deadline).Instant.UtcDateTime));
        Assert.That(processFeed.Events, Has.Count.EqualTo(2), "the deadline and Dordrecht's scheduled meeting");
    }
}
