using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>Every change is recorded in the same transaction; the chains hold under concurrency.</summary>
public sealed class AuditTrailTests
{
    private const string Dordrecht = "GM0505";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    private ProcessDatabase _db = null!;

    [SetUp]
    public async Task NewDatabase() => _db = await ProcessDatabase.CreateAsync();

    [TearDown]
    public async Task Dispose() => await _db.DisposeAsync();

    private Task<List<AuditEntry>> ChainAsync(Guid chain) => _db.InScopeAsync(sp =>
        sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking().Where(e => e.ChainId == chain).OrderBy(e => e.ChainSequence).ToListAsync());

    private Task<AuditVerification> VerifyAsync() => _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync());

    [Test]
    public async Task Each_command_records_who_did_what_to_which_item_with_before_and_after()
    {
        var started = await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        await _db.ScheduleAsync(started.ProcessId, Dordrecht, meeting.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await _db.DecideAsync(started.ProcessId, Dordrecht, new RecordDecision(DecisionOutcome.Rejected, 1, Reason: "Geen draagvlak in de coalitie"));

        var chain = await ChainAsync(started.ProcessId);

        // The rejection diverges: the coordinator is told (signal.sent), in the same transaction.
        Assert.That(chain.Select(e => e.Action), Is.EqualTo(new[] { "process.started", "item.scheduled", "decision.recorded", "process.state-changed", "signal.sent" }));
        Assert.That(chain.Select(e => e.ChainSequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
        var decision = chain[2];
        Assert.That(decision.ActorId, Is.EqualTo("college-GM0505"));
        Assert.That(decision.ActorRole, Is.EqualTo("College"));
        Assert.That(decision.ActorMunicipality, Is.EqualTo(Dordrecht));
        Assert.That(decision.ProcessId, Is.EqualTo(started.ProcessId));
        Assert.That(decision.MunicipalityCode, Is.EqualTo(Dordrecht));
        Assert.That(decision.ItemId, Is.Not.Null);
        Assert.That(decision.Reason, Is.EqualTo("Geen draagvlak in de coalitie"));
        Assert.That(decision.Before, Does.Contain("\"state\":\"Scheduled\""));
        Assert.That(decision.After, Does.Contain("\"state\":\"Decided\"").And.Contain("\"outcome\":\"Rejected\""));
        Assert.That(decision.PreviousHash, Is.EqualTo(chain[1].Hash));
        Assert.That(chain[3].Before, Is.EqualTo("{\"state\":\"Running\"}"));
        Assert.That(chain[3].After, Is.EqualTo("{\"state\":\"Diverged\"}"));
        Assert.That(chain[0].Status, Is.EqualTo(201));
        Assert.That(chain[0].ActorRole, Is.EqualTo("Coordinator"));
    }

    [Test]
    public async Task The_request_id_and_client_address_are_recorded()
    {
        var started = await _db.StartAsync();
        await _db.InScopeAsync(async sp =>
        {
            var request = sp.GetRequiredService<AuditRequestContext>();
            request.CorrelationId = "req-42";
            request.ClientAddress = "192.0.2.7";
            return await sp.GetRequiredService<Web.Processes.CommandPipeline>().RunAsync(started.ProcessId, new ExtendDeadline(new DateOnly(2024, 10, 1), null, "Reces"),
                ProcessDatabase.Coordinator, new Web.Data.CommandKey(null, "extend", 1));
        });

        var extended = (await ChainAsync(started.ProcessId)).Single(e => e.Action == "deadline.extended");

        Assert.That(extended.CorrelationId, Is.EqualTo("req-42"));
        Assert.That(extended.ClientAddress, Is.EqualTo("192.0.2.7"));
        Assert.That(extended.Reason, Is.EqualTo("Reces"));
        Assert.That(extended.Before, Does.Contain("2024-09-10"));
        Assert.That(extended.After, Does.Contain("2024-10-01"));
    }

    [Test]
    public async Task A_refused_command_writes_no_entry()
    {
        var started = await _db.StartAsync();
        var late = await _db.AddMeetingAsync(Dordrecht, new DateOnly(2024, 9, 17));

        await Assert.ThrowsAsync<DomainException>(() => _db.ScheduleAsync(started.ProcessId, Dordrecht, late.Id));

        Assert.That(await ChainAsync(started.ProcessId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Meetings_and_loaded_definitions_are_recorded_in_the_system_chain()
    {
        await _db.StartAsync();
        var meeting = await _db.AddMeetingAsync(Dordrecht, Sept3);
        var secretary = ProcessDatabase.Secretary(Dordrecht);
        await _db.InScopeAsync(sp => sp.GetRequiredService<Web.Agenda.MeetingCommands>().MoveAsync(meeting.Id, new Decisions.Agenda.MeetingChange(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(9, 0)), "Verschoven"), secretary));
        await _db.InScopeAsync(sp => sp.GetRequiredService<Web.Agenda.MeetingCommands>().CancelAsync(meeting.Id, new Decisions.Agenda.MeetingChange(null, "Geen agenda"), secretary));

        var system = await ChainAsync(AuditEntry.SystemChain);

        Assert.That(system.Select(e => e.Action), Is.EqualTo(new[]
        {
            "workflow-definition.loaded", "workflow-definition.loaded", "meeting.added", "meeting.moved", "meeting.cancelled",
        }));
        Assert.That(system[3].Before, Does.Contain("2024-09-03T08:00:00"));
        Assert.That(system[3].After, Does.Contain("2024-09-04T07:00:00"));
        Assert.That(system.All(e => e.ActorId is "system" or "secretary-GM0505"), Is.True);
    }

    [Test]
    public async Task Many_concurrent_writers_on_one_process_never_fork_its_chain()
    {
        var started = await _db.StartAsync();
        var meetings = new Dictionary<string, Guid>();
        foreach (var code in ProcessDatabase.Codes)
            meetings[code] = (await _db.AddMeetingAsync(code, Sept3)).Id;

        // 7 colleges, each rescheduling three times, all at once.
        await Task.WhenAll(ProcessDatabase.Codes.SelectMany(code => Enumerable.Range(0, 3).Select(_ => _db.ScheduleAsync(started.ProcessId, code, meetings[code]))));

        var chain = await ChainAsync(started.ProcessId);
        Assert.That(chain.Select(e => e.ChainSequence), Is.EqualTo(Enumerable.Range(1, 22).Select(i => (long)i)));
        await _db.AnchorAsync();
        var verification = await VerifyAsync();
        Assert.That(verification.Valid, Is.True, verification.Summary);
    }

    [Test]
    public async Task Many_processes_written_concurrently_each_keep_a_valid_chain()
    {
        var started = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _db.StartAsync()));

        await _db.AnchorAsync();
        var verification = await VerifyAsync();

        Assert.That(verification.Valid, Is.True, verification.Summary);
        Assert.That(verification.ChainsChecked, Is.EqualTo(21), "20 process chains and the system chain");
        foreach (var process in started)
            Assert.That((await ChainAsync(process.ProcessId)).Single().ChainSequence, Is.EqualTo(1));
    }
}
