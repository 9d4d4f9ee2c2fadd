using System.Collections;
using System.Reflection;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>
/// A command's aggregate is written by hand (<see cref="ProcessRows"/>, <see cref="WriteBatch"/>), not by EF Core's
/// change tracker: what it writes must be what the aggregate is. Each step runs one command inside a transaction,
/// saves, and reads the process back through EF Core in the same transaction: every public property of the process,
/// its items, their decisions, its concept versions and the deadline changes it made must be equal, and the version
/// the pipeline answers must be the row's xmin.
/// </summary>
public sealed class ProcessRowsTests
{
    private static readonly DateOnly Sept3 = new(2024, 9, 3);
    private const string Dordrecht = "GM0505";
    private const string Zwijndrecht = "GM0642";

    [Test]
    public async Task What_a_command_writes_by_hand_is_the_aggregate_EF_Core_reads_back()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var id = (await db.StartAsync(councilLetter: "Geachte raad,\n\nHet college informeert u.")).ProcessId;
        await CompareAfterAsync(db, id, null, null, "the process as started");
        var meeting = await db.AddMeetingAsync(Dordrecht, Sept3);
        var other = await db.AddMeetingAsync(Zwijndrecht, Sept3);

        await CompareAfterAsync(db, id, new ScheduleItem(meeting.Id) { Municipality = Dordrecht }, ProcessDatabase.Secretary(Dordrecht), "scheduled");
        await CompareAfterAsync(db, id, new ScheduleItem(other.Id) { Municipality = Zwijndrecht }, ProcessDatabase.Secretary(Zwijndrecht), "second scheduled");
        await CompareAfterAsync(db, id, new PlanTargetWeek(new DateOnly(2024, 9, 2)), ProcessDatabase.Coordinator, "target week");
        await CompareAfterAsync(db, id, new ExtendDeadline(new DateOnly(2024, 10, 1), null, "Zomerreces 🏖 liep uit"), ProcessDatabase.Coordinator, "deadline extended");
        db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await CompareAfterAsync(db, id, new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: "Het college besluit anders 𝄞.") { Municipality = Dordrecht },
            ProcessDatabase.College(Dordrecht), "diverging decision");
        await CompareAfterAsync(db, id, new ReviseConcept("Het college besluit in te stemmen, herzien.", "https://example.org/v2", "Na Dordrecht"),
            ProcessDatabase.Coordinator, "concept revised");
        await CompareAfterAsync(db, id, new RecordDecision(DecisionOutcome.Adopted, 2) { Municipality = Zwijndrecht }, ProcessDatabase.College(Zwijndrecht), "identical decision");
        await CompareAfterAsync(db, id, new CancelProcess("Ingetrokken door de regio"), ProcessDatabase.Coordinator, "cancelled");
    }

    [Test]
    public async Task The_aggregate_a_reader_gets_is_EF_Core_s_read_and_only_for_whom_may_see_it()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var id = (await db.StartAsync(councilLetter: "Geachte raad,")).ProcessId;
        var meeting = await db.AddMeetingAsync(Dordrecht, Sept3);
        await db.ScheduleAsync(id, Dordrecht, meeting.Id);
        db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await db.DecideAsync(id, Dordrecht, new RecordDecision(DecisionOutcome.Rejected, 1, Reason: "Niet nu"));
        await db.RunAsync(id, new ReviseConcept("Herzien 𝄞", null, "Na Dordrecht"), ProcessDatabase.Coordinator);
        await db.RunAsync(id, new ExtendDeadline(new DateOnly(2024, 10, 1), null, "Uitstel"), ProcessDatabase.Coordinator);

        var expected = await db.LoadAsync(id);
        foreach (var (actor, region) in new (Actor, string?)[] { (ProcessDatabase.Coordinator, "drechtsteden"), (ProcessDatabase.Secretary(Dordrecht), null),
            (new Actor("auditor", "Auditor", Role.Auditor), null) })
        {
            var read = await db.InScopeAsync(sp => sp.GetRequiredService<ProcessQueries>().FindAsync(id, actor, region));
            Assert.That(read, Is.Not.Null, actor.UserId);
            AssertSame(expected, read!, $"{actor.UserId}: process");
            foreach (var item in expected.Items)
            {
                AssertSame(item, read!.Items.Single(i => i.Id == item.Id), $"{actor.UserId}: item {item.MunicipalityCode}");
                foreach (var decision in item.Decisions)
                    AssertSame(decision, read.Items.Single(i => i.Id == item.Id).Decisions.Single(d => d.Id == decision.Id), $"{actor.UserId}: decision");
                Assert.That(read.Items.Single(i => i.Id == item.Id).Decisions, Has.Count.EqualTo(item.Decisions.Count));
            }
            foreach (var concept in expected.Concepts)
                AssertSame(concept, read!.Concepts.Single(c => c.Id == concept.Id), $"{actor.UserId}: concept {concept.Number}");
            Assert.That(read!.Concepts, Has.Count.EqualTo(2));
        }
        foreach (var (actor, region) in new (Actor, string?)[] { (ProcessDatabase.Coordinator, "elders"), (ProcessDatabase.Secretary("GM9999"), null),
            (new Actor("nobody", "Zonder gemeente", Role.College), null) })
            Assert.That(await db.InScopeAsync(sp => sp.GetRequiredService<ProcessQueries>().FindAsync(id, actor, region)), Is.Null, actor.UserId);
    }

    [Test]
    public async Task An_aggregate_read_and_left_unchanged_is_not_written()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var id = (await db.StartAsync()).ProcessId;
        var before = await XminAsync(db, id);

        var (versionInside, written) = await db.InScopeAsync(async sp =>
        {
            var pipeline = sp.GetRequiredService<CommandPipeline>();
            var context = sp.GetRequiredService<DecisionsDbContext>();
            return await pipeline.InTransactionAsync(async () =>
            {
                var process = await pipeline.LockAsync(id, CancellationToken.None);
                return (pipeline.VersionOf(process), await context.SaveChangesAsync());
            }, CancellationToken.None);
        });

        Assert.That(written, Is.Zero, "nothing to write");
        Assert.That(versionInside, Is.EqualTo(before), "the version is the row's xmin, read with its lock");
        Assert.That(await XminAsync(db, id), Is.EqualTo(before), "the row was not rewritten");
    }

    [Test]
    public async Task A_context_keeps_nothing_of_a_command_once_its_transaction_has_ended()
    {
        // Pooled contexts (up to 1,024 after a burst of requests) each kept the last command's aggregate and statements:
        // the full-size soak's live heap grew 29 % (session 16).
        await using var db = await ProcessDatabase.CreateAsync();
        var id = (await db.StartAsync()).ProcessId;
        var meeting = await db.AddMeetingAsync(Dordrecht, Sept3);
        var (during, after) = await db.InScopeAsync(async sp =>
        {
            var context = sp.GetRequiredService<DecisionsDbContext>();
            var during = false;
            await sp.GetRequiredService<CommandPipeline>().InTransactionAsync(async () =>
            {
                await sp.GetRequiredService<CommandPipeline>().LockAsync(id, CancellationToken.None);
                during = !context.Writes.IsEmpty;
                return true;
            }, CancellationToken.None);
            await sp.GetRequiredService<CommandPipeline>().RunAsync(id, new ScheduleItem(meeting.Id) { Municipality = Dordrecht }, ProcessDatabase.Secretary(Dordrecht),
                new CommandKey(null, "schedule", id));
            return (during, context.Writes.IsEmpty);
        });
        Assert.That(during, Is.True, "the aggregate is held while its transaction runs");
        Assert.That(after, Is.True, "and let go when it has ended");
    }

    [Test]
    public async Task Writes_collected_in_a_transaction_that_rolled_back_are_never_sent()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var id = (await db.StartAsync()).ProcessId;

        await db.InScopeAsync(async sp =>
        {
            var audit = sp.GetRequiredService<AuditTrail>();
            var context = sp.GetRequiredService<DecisionsDbContext>();
            var pipeline = sp.GetRequiredService<CommandPipeline>();
            await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.InTransactionAsync<bool>(async () =>
            {
                await pipeline.LockAsync(id, CancellationToken.None);
                await audit.AppendAsync(ProcessDatabase.Coordinator, new AuditRecord(id, "test.rolled-back", "process", id.ToString(), "test"));
                throw new InvalidOperationException("the command fails after its entry was collected");
            }, CancellationToken.None));
            // The same context (a pooled one would be handed on like this) saves in a new transaction.
            await pipeline.InTransactionAsync(async () =>
            {
                await audit.AppendAsync(ProcessDatabase.Coordinator, new AuditRecord(id, "test.committed", "process", id.ToString(), "test"));
                return await context.SaveChangesAsync();
            }, CancellationToken.None);
            return 0;
        });

        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT string_agg(action, ',') FROM audit_entries WHERE action LIKE 'test.%'", connection);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("test.committed"));
    }

    /// <summary>Runs the command (or none), saves, and compares the aggregate with EF Core's read of it in the same transaction.</summary>
    private static async Task CompareAfterAsync(ProcessDatabase db, Guid id, ProcessCommand? command, Actor? actor, string step)
    {
        var (version, xmin) = await db.InScopeAsync(async sp =>
        {
            var pipeline = sp.GetRequiredService<CommandPipeline>();
            var workflow = sp.GetRequiredService<DecisionWorkflow>();
            var context = sp.GetRequiredService<DecisionsDbContext>();
            return await pipeline.InTransactionAsync(async () =>
            {
                var meetingId = command is ScheduleItem s ? s.MeetingId : null;
                var (process, meeting) = await pipeline.LockAsync(id, meetingId, CancellationToken.None);
                var changesBefore = process.DeadlineChanges.Count;
                if (command is not null)
                {
                    var before = ProcessAudit.Take(process);
                    var outcome = workflow.Execute(process, command, actor!, pipeline.Now, meeting);
                    await pipeline.PersistAsync(process, before, outcome, actor!, 200, CancellationToken.None);
                }
                await context.SaveChangesAsync();

                var stored = await context.Processes.AsNoTracking().Include(p => p.Concepts).Include(p => p.Items).ThenInclude(i => i.Decisions)
                    .Include(p => p.DeadlineChanges).AsSplitQuery().SingleAsync(p => p.Id == id);
                AssertSame(process, stored, $"{step}: process");
                Assert.That(stored.Items.Select(i => i.Id), Is.EquivalentTo(process.Items.Select(i => i.Id)), $"{step}: items");
                foreach (var item in process.Items)
                {
                    var storedItem = stored.Items.Single(i => i.Id == item.Id);
                    AssertSame(item, storedItem, $"{step}: item {item.MunicipalityCode}");
                    Assert.That(storedItem.Decisions, Has.Count.EqualTo(item.Decisions.Count), $"{step}: decisions of {item.MunicipalityCode}");
                    foreach (var decision in item.Decisions)
                        AssertSame(decision, storedItem.Decisions.Single(d => d.Id == decision.Id), $"{step}: decision {decision.Sequence} of {item.MunicipalityCode}");
                }
                Assert.That(stored.Concepts, Has.Count.EqualTo(process.Concepts.Count), $"{step}: concepts");
                foreach (var concept in process.Concepts)
                    AssertSame(concept, stored.Concepts.Single(c => c.Id == concept.Id), $"{step}: concept {concept.Number}");
                foreach (var change in process.DeadlineChanges.Skip(changesBefore))
                    AssertSame(change, stored.DeadlineChanges.Single(c => c.Id == change.Id), $"{step}: deadline change");
                if (command is ExtendDeadline)
                    Assert.That(process.DeadlineChanges, Has.Count.EqualTo(changesBefore + 1), $"{step}: the extension is in the aggregate");
                var version = pipeline.VersionOf(process);
                await using var read = context.Database.GetDbConnection().CreateCommand();
                read.CommandText = $"SELECT xmin FROM processes WHERE id = '{id}'";
                return (version, (uint)(await read.ExecuteScalarAsync())!);
            }, CancellationToken.None);
        });
        Assert.That(version, Is.EqualTo(xmin), $"{step}: the version answered is the row's xmin");
        Assert.That(await XminAsync(db, id), Is.EqualTo(xmin), $"{step}: and it is what was committed");
    }

    /// <summary>Every public readable property with a stored value (collections and computed views aside) is equal.</summary>
    private static void AssertSame<T>(T expected, T actual, string what)
    {
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.SetMethod is not null && (p.PropertyType == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(p.PropertyType)))
            .ToList();
        Assert.That(properties, Is.Not.Empty, what);
        foreach (var property in properties)
            Assert.That(property.GetValue(actual), Is.EqualTo(property.GetValue(expected)), $"{what}: {property.Name}");
        if (expected is DecisionProcess p && actual is DecisionProcess q)
            Assert.That(q.TimerOffsets, Is.EquivalentTo(p.TimerOffsets), $"{what}: TimerOffsets");
    }

    private static async Task<uint> XminAsync(ProcessDatabase db, Guid id)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xmin FROM processes WHERE id = $1", connection) { Parameters = { new NpgsqlParameter { Value = id } } };
        return (uint)(await command.ExecuteScalarAsync())!;
    }
}
