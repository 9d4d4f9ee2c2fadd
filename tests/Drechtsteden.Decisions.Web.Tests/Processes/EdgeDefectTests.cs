using System.Net;
using System.Net.Http.Json;
using Drechtsteden.Decisions.Time;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>
/// The defects an outside acceptance run found at the edges of PRODUCT.md's promises (issue 16), each shown through
/// the HTTP API on a real PostgreSQL and a fake clock. Each of these tests failed before its fix.
/// </summary>
public sealed class EdgeDefectTests
{
    private const string Dordrecht = "GM0505";
    private const string Papendrecht = "GM0590";

    private EdgeApp _app = null!;

    [SetUp]
    public async Task Host() => _app = await EdgeApp.StartAsync(new DateTimeOffset(2027, 3, 1, 8, 0, 0, TimeSpan.Zero));

    [TearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private Task<List<object?[]>> ScheduledTimersAsync(Guid process, string timerId) =>
        _app.QueryAsync("SELECT due_at, municipality_code FROM timers WHERE process_id = $1 AND timer_id = $2 AND status = 'Scheduled' ORDER BY due_at, municipality_code",
            process, timerId);

    private async Task<int> EscalationsAsync(Guid process) =>
        Convert.ToInt32((await _app.QueryAsync("SELECT count(*) FROM outbox_messages WHERE process_id = $1 AND kind = 'escalation'", process))[0][0],
            System.Globalization.CultureInfo.InvariantCulture);

    private async Task ExtendAsync(Guid process, DateOnly date)
    {
        using var coordinator = _app.Coordinator();
        using var response = await coordinator.PostAsJsonAsync($"/api/processes/{process}/deadline", new { date, reason = "Twee colleges vergaderen later." });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Every_extension_after_an_escalation_arms_a_new_escalation_and_plans_the_reminders_again()
    {
        var process = await _app.StartProcessAsync(new
        {
            title = "Regionale woonvisie", reference = "2027-0001", conceptText = "Het college stelt de woonvisie vast.",
            deadlineDate = new DateOnly(2027, 3, 30), participants = new[] { Dordrecht, Papendrecht },
        });

        await _app.SweepAtAsync(Amsterdam.StartOfDay(new DateOnly(2027, 3, 31)).AddSeconds(1));
        Assert.That(await _app.StateAsync(process), Is.EqualTo("Overdue"));
        Assert.That(await EscalationsAsync(process), Is.EqualTo(1));

        DateOnly[] extensions = [new(2027, 4, 27), new(2027, 5, 25)];
        for (var round = 0; round < extensions.Length; round++)
        {
            var deadline = extensions[round];
            _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddHours(10));
            await ExtendAsync(process, deadline);
            Assert.That(await _app.StateAsync(process), Is.EqualTo("Running"));

            var escalation = await ScheduledTimersAsync(process, "deadline");
            Assert.That(escalation.Select(r => (DateTime)r[0]!), Is.EqualTo(new[] { Amsterdam.StartOfDay(deadline.AddDays(1)).UtcDateTime }),
                $"extension {round + 1}: exactly one escalation armed, at the new deadline");
            var reminders = await ScheduledTimersAsync(process, "schedule-reminder");
            var expected = new[] { -21, -14, -7 }.Select(days => Amsterdam.At(deadline.AddDays(days), new TimeOnly(9, 0)).UtcDateTime)
                .SelectMany(at => new[] { (at, Dordrecht), (at, Papendrecht) }).ToArray();
            Assert.That(reminders.Select(r => ((DateTime)r[0]!, (string)r[1]!)), Is.EqualTo(expected),
                $"extension {round + 1}: the colleges that still have to schedule are reminded again before the new deadline");

            await _app.SweepAtAsync(Amsterdam.StartOfDay(deadline.AddDays(1)).AddSeconds(-1));
            Assert.That(await _app.StateAsync(process), Is.EqualTo("Running"), "never a second before the deadline");
            await _app.SweepAtAsync(Amsterdam.StartOfDay(deadline.AddDays(1)).AddSeconds(1));
            Assert.That(await _app.StateAsync(process), Is.EqualTo("Overdue"), $"escalated again after extension {round + 1}");
            Assert.That(await EscalationsAsync(process), Is.EqualTo(round + 2));
        }
    }

    [Test]
    public async Task A_title_at_its_limit_escalates_with_a_shortened_subject_and_never_stops_the_other_timers()
    {
        var title = string.Concat(Enumerable.Repeat("Regionale samenwerking sociaal domein ", 10))[..300];
        var longOne = await _app.StartProcessAsync(new
        {
            title, reference = "2027-0002", conceptText = "Het college stemt in.", deadlineAt = new DateTimeOffset(2027, 3, 10, 10, 0, 0, TimeSpan.Zero),
            participants = new[] { Dordrecht },
        });
        var other = await _app.StartProcessAsync(new
        {
            title = "Kort", reference = "2027-0003", conceptText = "Het college stemt in.", deadlineAt = new DateTimeOffset(2027, 3, 10, 10, 1, 0, TimeSpan.Zero),
            participants = new[] { Papendrecht },
        });

        await _app.SweepAtAsync(new DateTimeOffset(2027, 3, 10, 10, 2, 0, TimeSpan.Zero));

        Assert.That(await _app.StateAsync(longOne), Is.EqualTo("Overdue"));
        Assert.That(await _app.StateAsync(other), Is.EqualTo("Overdue"), "one process's timer never holds up another's");
        var subjects = (await _app.QueryAsync("SELECT subject FROM outbox_messages WHERE process_id = $1", longOne)).Select(r => (string)r[0]!).ToList();
        Assert.That(subjects, Is.Not.Empty);
        Assert.That(subjects, Has.All.Length.LessThanOrEqualTo(300));
        Assert.That(subjects.Single(s => s.StartsWith("Termijn verstreken", StringComparison.Ordinal)), Does.Contain("…"), "the title is shortened, not the subject cut off");
    }

    [Test]
    public async Task Scheduling_and_cancelling_the_same_meeting_at_once_never_leaves_an_item_on_a_cancelled_meeting()
    {
        var (process, meeting, item) = await ProcessWithMeetingAsync();

        var (scheduled, changed) = await RaceAsync(item,
            () => SendAsync(_app.Secretary(Dordrecht), $"/api/processes/{process}/items/{Dordrecht}/schedule", new { meetingId = meeting }),
            () => SendAsync(_app.Secretary(Dordrecht), $"/api/municipalities/{Dordrecht}/meetings/{meeting}/cancel", new { note = "Vervalt" }));

        Assert.That((scheduled, changed), Is.Not.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)), "one of the two must see the other");
        var row = (await _app.QueryAsync("SELECT m.status FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id WHERE a.id = $1", item)).SingleOrDefault();
        Assert.That(row?[0], Is.Null.Or.EqualTo("Planned"), "an item is never on a cancelled meeting");
    }

    [Test]
    public async Task Scheduling_and_moving_the_same_meeting_at_once_never_leaves_a_stale_meeting_time_on_the_item()
    {
        var (process, meeting, item) = await ProcessWithMeetingAsync();
        var later = _app.Clock.GetUtcNow().AddDays(7);

        var (scheduled, moved) = await RaceAsync(item,
            () => SendAsync(_app.Secretary(Dordrecht), $"/api/processes/{process}/items/{Dordrecht}/schedule", new { meetingId = meeting }),
            () => SendAsync(_app.Secretary(Dordrecht), $"/api/municipalities/{Dordrecht}/meetings/{meeting}/move", new { startsAt = later }));

        Assert.That(scheduled, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(moved, Is.EqualTo(HttpStatusCode.OK));
        var row = (await _app.QueryAsync("SELECT a.meeting_starts_at, m.starts_at FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id WHERE a.id = $1", item)).Single();
        Assert.That(row[0], Is.EqualTo(row[1]), "the item follows the meeting it is on");
    }

    [Test]
    public async Task Input_longer_than_its_field_takes_is_refused_with_400_naming_the_field_in_the_API()
    {
        var (process, meeting, _) = await ProcessWithMeetingAsync();
        using (var secretary = _app.Secretary(Dordrecht))
            (await secretary.PostAsJsonAsync($"/api/processes/{process}/items/{Dordrecht}/schedule", new { meetingId = meeting })).EnsureSuccessStatusCode();
        _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddDays(3));
        var tooLongUrl = "https://example.org/" + new string('a', 2001);

        (string User, string Path, object Body, string Field)[] cases =
        [
            ("coordinator;Coordinator", "/api/processes", new { title = "T", reference = "R", conceptText = "Tekst.", deadlineDate = new DateOnly(2027, 6, 1), participants = new[] { Dordrecht }, documentUrl = tooLongUrl }, "documentUrl"),
            ($"college-{Dordrecht};College;{Dordrecht}", $"/api/processes/{process}/items/{Dordrecht}/decision", new { outcome = "Deferred", conceptVersion = 1, reason = new string('r', 2001) }, "reason"),
            ($"college-{Dordrecht};College;{Dordrecht}", $"/api/processes/{process}/items/{Dordrecht}/decision", new { outcome = "AdoptedWithAmendments", conceptVersion = 1, text = new string('t', 100_001) }, "text"),
            ($"secretary-{Dordrecht};Secretary;{Dordrecht}", $"/api/municipalities/{Dordrecht}/meetings", new { startsAt = _app.Clock.GetUtcNow().AddDays(9), note = new string('n', 501) }, "note"),
            ("coordinator;Coordinator", $"/api/processes/{process}/concepts", new { text = "Nieuwe tekst.", note = new string('n', 2001) }, "note"),
            ("coordinator;Coordinator", $"/api/processes/{process}/deadline", new { date = new DateOnly(2027, 5, 4), reason = new string('r', 2001) }, "reason"),
            ("coordinator;Coordinator", $"/api/processes/{process}/cancel", new { reason = new string('r', 2001) }, "reason"),
        ];
        foreach (var (user, path, body, field) in cases)
        {
            using var client = _app.As(user);
            using var response = await client.PostAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), $"{path} {field}: {text}");
            var problem = System.Text.Json.JsonDocument.Parse(text).RootElement;
            Assert.That(problem.GetProperty("errors").TryGetProperty(field, out _), Is.True, $"{path}: the problem names {field}: {text}");
        }
        Assert.That(await _app.StateAsync(process), Is.EqualTo("Running"), "nothing was half-written");

        using var coordinator = _app.Coordinator();
        using var atLimit = await coordinator.PostAsJsonAsync($"/api/processes/{process}/deadline", new { date = new DateOnly(2027, 5, 4), reason = new string('r', 2000) });
        Assert.That(atLimit.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the longest reason the field takes is accepted");
    }

    [Test]
    public async Task Input_longer_than_its_field_takes_is_refused_with_400_next_to_the_field_on_the_page()
    {
        var (process, meeting, _) = await ProcessWithMeetingAsync();
        using (var secretary = _app.Secretary(Dordrecht))
            (await secretary.PostAsJsonAsync($"/api/processes/{process}/items/{Dordrecht}/schedule", new { meetingId = meeting })).EnsureSuccessStatusCode();
        _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddDays(3));

        using var college = _app.College(Dordrecht);
        var token = await EdgeApp.AntiforgeryTokenAsync(college, $"/besluiten/{process}");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["FormKey"] = Guid.NewGuid().ToString("N"), ["Conceptversie"] = "1",
            ["Uitkomst"] = "Deferred", ["Besluitdatum"] = Amsterdam.DateOf(_app.Clock.GetUtcNow()).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["Tekst"] = "Het college stelt de woonvisie vast.", ["Reden"] = new string('r', 2001),
        });
        using var response = await college.PostAsync(new Uri($"/besluiten/{process}", UriKind.Relative), form);
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(html, Does.Match("id=\"reden-fout\"[^>]*>[^<]*te lang"), "the Dutch error stands next to the field");
        Assert.That(html, Does.Contain("aria-invalid=\"true\""));
        Assert.That(await _app.StateAsync(process), Is.EqualTo("Running"));
    }

    private async Task<(Guid Process, Guid Meeting, Guid Item)> ProcessWithMeetingAsync()
    {
        var process = await _app.StartProcessAsync(new
        {
            title = "Regionale woonvisie", reference = "2027-0004", conceptText = "Het college stelt de woonvisie vast.",
            deadlineDate = new DateOnly(2027, 4, 27), participants = new[] { Dordrecht },
        });
        var meeting = await _app.AddMeetingAsync(Dordrecht, _app.Clock.GetUtcNow().AddDays(2));
        var item = (Guid)(await _app.QueryAsync("SELECT id FROM agenda_items WHERE process_id = $1", process))[0][0]!;
        return (process, meeting, item);
    }

    /// <summary>
    /// Holds the item's row while the schedule command runs, so it is caught between reading the meeting and writing
    /// the item; starts the calendar command meanwhile; then lets both finish.
    /// </summary>
    private async Task<(HttpStatusCode First, HttpStatusCode Second)> RaceAsync(Guid item, Func<Task<HttpStatusCode>> first, Func<Task<HttpStatusCode>> second)
    {
        await using var blocker = new NpgsqlConnection(_app.Database.Superuser);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT 1 FROM agenda_items WHERE id = $1 FOR UPDATE", blocker, hold))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = item });
            await command.ExecuteScalarAsync();
        }
        var a = Task.Run(first);
        await Task.Delay(800);
        var b = Task.Run(second);
        await Task.Delay(800);
        await hold.RollbackAsync();
        return (await a, await b);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string path, object body)
    {
        using (client)
        {
            using var response = await client.PostAsJsonAsync(path, body);
            return response.StatusCode;
        }
    }
}
