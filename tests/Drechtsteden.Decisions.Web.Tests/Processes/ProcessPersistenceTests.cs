using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>Processes in PostgreSQL: commands as transactions, concurrency, idempotency.</summary>
public sealed class ProcessPersistenceTests
{
    private const string Dordrecht = "GM0505";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    private ProcessDatabase _db = null!;

    [SetUp]
    public async Task NewDatabase() => _db = await ProcessDatabase.CreateAsync();

    [TearDown]
    public async Task Dispose() => await _db.DisposeAsync();

    [Test]
    public async Task A_process_its_items_concepts_and_decisions_survive_a_round_trip_through_PostgreSQL()
    {
        var started = await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        await _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await _db.DecideAsync(started.ProcessId, Dordrecht, new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: "Het college besluit niet in te stemmen."));

        var process = await _db.LoadAsync(started.ProcessId);

        Assert.That(process.State, Is.EqualTo("Diverged"));
        Assert.That(process.DefinitionVersion, Is.EqualTo(5));
        Assert.That(process.Deadline.Date, Is.EqualTo(new DateOnly(2024, 9, 10)));
        Assert.That(process.Items, Has.Count.EqualTo(7));
        var item = process.Item(Dordrecht);
        Assert.That(item.State, Is.EqualTo("Decided"));
        Assert.That(item.MeetingId, Is.EqualTo(meeting.Id));
        Assert.That(item.LatestDecision!.Outcome, Is.EqualTo(DecisionOutcome.AdoptedWithAmendments));
        Assert.That(item.LatestDecision.DecidedOn, Is.EqualTo(Sept3));
        Assert.That(process.DiffOf(item), Is.Not.Null);
    }

    [Test]
    public async Task Every_deadline_extension_is_kept_though_the_aggregate_does_not_load_the_history()
    {
        var started = await _db.StartAsync();

        await _db.RunAsync(started.ProcessId, new ExtendDeadline(new DateOnly(2024, 10, 1), null, "Zomerreces liep uit"), ProcessDatabase.Coordinator);
        await _db.RunAsync(started.ProcessId, new ExtendDeadline(new DateOnly(2024, 10, 15), null, "Nog een college ontbreekt"), ProcessDatabase.Coordinator);

        var process = await _db.LoadAsync(started.ProcessId);
        Assert.That(process.Deadline.Date, Is.EqualTo(new DateOnly(2024, 10, 15)));
        Assert.That(process.DeadlineChanges, Is.Empty, "the history is not read with the aggregate (it multiplied the rows of its query)");
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT string_agg(old_deadline_date::text || '>' || new_deadline_date::text || ':' || reason, '|' ORDER BY changed_at, new_deadline_date) FROM deadline_changes WHERE process_id = $1",
            connection) { Parameters = { new NpgsqlParameter { Value = started.ProcessId } } };
        Assert.That(await command.ExecuteScalarAsync(),
            Is.EqualTo("2024-09-10>2024-10-01:Zomerreces liep uit|2024-10-01>2024-10-15:Nog een college ontbreekt"));
    }

    [Test]
    public async Task A_failing_command_writes_nothing()
    {
        var started = await _db.StartAsync();
        var late = await _db.AddMeetingAsync(Dordrecht, new DateOnly(2024, 9, 17));

        await Assert.ThrowsAsync<DomainException>(() => _db.ScheduleAsync(started.ProcessId, Dordrecht, late.Id));

        var process = await _db.LoadAsync(started.ProcessId);
        Assert.That(process.Item(Dordrecht).State, Is.EqualTo("Unscheduled"));
        Assert.That(process.Revision, Is.Zero);
    }

    [Test]
    public async Task Of_many_parallel_conflicting_decisions_on_one_item_exactly_one_wins()
    {
        var started = await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        await _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        var outcomes = new[] { DecisionOutcome.Adopted, DecisionOutcome.Rejected, DecisionOutcome.Deferred };

        var attempts = Enumerable.Range(0, 24).Select(async i =>
        {
            try
            {
                var outcome = outcomes[i % 3];
                await _db.DecideAsync(started.ProcessId, Dordrecht, new RecordDecision(outcome, 1, Reason: outcome == DecisionOutcome.Adopted ? null : "reden"));
                return "won";
            }
            catch (DomainException e) when (e.Kind == DomainErrorKind.Conflict)
            {
                return "conflict";
            }
        }).ToList();
        var results = await Task.WhenAll(attempts);

        Assert.That(results.Count(r => r == "won"), Is.EqualTo(1), string.Join(",", results));
        Assert.That(results.Count(r => r == "conflict"), Is.EqualTo(23));
        var process = await _db.LoadAsync(started.ProcessId);
        Assert.That(process.Item(Dordrecht).Decisions, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Colleges_scheduling_at_the_same_time_do_not_get_in_each_others_way()
    {
        var started = await _db.StartAsync();
        var meetings = new Dictionary<string, Guid>();
        foreach (var code in ProcessDatabase.Codes)
            meetings[code] = (await _db.AddMeetingAsync(code, Sept3)).Id;

        await Task.WhenAll(ProcessDatabase.Codes.Select(code => _db.ScheduleAsync(started.ProcessId, code, meetings[code])));

        var process = await _db.LoadAsync(started.ProcessId);
        Assert.That(process.Items.Select(i => i.State), Is.All.EqualTo("Scheduled"));
    }

    [Test]
    public async Task A_repeated_command_with_the_same_idempotency_key_returns_the_first_answer_and_changes_nothing()
    {
        var started = await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        await _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        var input = new RecordDecision(DecisionOutcome.Adopted, 1);

        var first = await _db.DecideAsync(started.ProcessId, Dordrecht, input, "decide-dordrecht-1");
        var again = await _db.DecideAsync(started.ProcessId, Dordrecht, input, "decide-dordrecht-1");

        Assert.That(first.Replayed, Is.False);
        Assert.That(again.Replayed, Is.True);
        Assert.That(again with { Replayed = false }, Is.EqualTo(first).Using<CommandAnswer>((a, b) =>
            a.ProcessId == b.ProcessId && a.State == b.State && a.Version == b.Version && a.Warnings.SequenceEqual(b.Warnings)));
        var process = await _db.LoadAsync(started.ProcessId);
        Assert.That(process.Item(Dordrecht).Decisions, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_retries_with_one_idempotency_key_run_the_command_once()
    {
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        var started = await _db.StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id, "schedule-once")));

        Assert.That(responses.Select(r => r.Version).Distinct().Count(), Is.EqualTo(1));
        Assert.That(responses.Count(r => !r.Replayed), Is.EqualTo(1));
        var process = await _db.LoadAsync(started.ProcessId);
        Assert.That(process.Item(Dordrecht).State, Is.EqualTo("Scheduled"));
    }

    [Test]
    public async Task An_idempotency_key_reused_for_another_request_is_refused()
    {
        var started = await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        var other = await _db.AddMeetingAsync(Dordrecht, new DateOnly(2024, 9, 10));
        await _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id, "key-1");

        var error = (await Assert.ThrowsAsync<DomainException>(() => _db.ScheduleAsync(started.ProcessId, Dordrecht, other.Id, "key-1")))!;

        Assert.That(error.Code, Is.EqualTo("idempotency-key-reused"));
    }

    [Test]
    public async Task A_stale_If_Match_version_is_refused()
    {
        var started = await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        var scheduled = await _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id, ifMatch: started.Version);
        Assert.That(scheduled.Version, Is.Not.EqualTo(started.Version), "every command changes the process version");

        await Assert.ThrowsAsync<StaleVersionException>(() => _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id, ifMatch: started.Version));
    }
}
