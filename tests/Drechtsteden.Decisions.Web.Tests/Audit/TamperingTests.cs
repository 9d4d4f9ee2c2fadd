using System.Net.Http.Json;
using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>A database superuser disables the triggers and tampers; verification pinpoints each case.</summary>
public sealed class TamperingTests
{
    private const string Dordrecht = "GM0505";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    private TestDatabase _database = null!;
    private string _checkpoints = "";
    private ProcessDatabase _db = null!;
    private Guid _process;

    [SetUp]
    public async Task ProcessWithHistory()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _checkpoints = Directory.CreateTempSubdirectory("drechtsteden-checkpoints-").FullName;
        _db = await ProcessDatabase.CreateAsync(connectionString: _database.App, checkpointDirectory: _checkpoints);
        _process = (await _db.StartAsync()).ProcessId;
        foreach (var code in ProcessDatabase.Codes)
        {
            var meeting = await _db.AddMeetingAsync(code, Sept3);
            await _db.ScheduleAsync(_process, code, meeting.Id);
        }
        _db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
        await _db.DecideAsync(_process, Dordrecht, new RecordDecision(DecisionOutcome.Adopted, 1));
    }

    [TearDown]
    public async Task Cleanup()
    {
        await _db.DisposeAsync();
        Directory.Delete(_checkpoints, recursive: true);
    }

    private Task<AuditVerification> VerifyAsync() => _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync());

    private Task<int> CheckpointAsync() => _db.InScopeAsync(sp => sp.GetRequiredService<AuditCheckpoints>().WriteAsync(sp.GetRequiredService<DecisionsDbContext>()));

    private Task<List<AuditEntry>> ChainAsync() => _db.InScopeAsync(sp =>
        sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking().Where(e => e.ChainId == _process).OrderBy(e => e.ChainSequence).ToListAsync());

    /// <summary>What only a superuser can do: switch the append-only triggers off, change rows, switch them on.</summary>
    private async Task AsSuperuserAsync(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(_database.Superuser);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var disable = new NpgsqlCommand("ALTER TABLE audit_entries DISABLE TRIGGER USER", connection, transaction))
            await disable.ExecuteNonQueryAsync();
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            foreach (var value in values)
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            await command.ExecuteNonQueryAsync();
        }
        await using (var enable = new NpgsqlCommand("ALTER TABLE audit_entries ENABLE TRIGGER USER", connection, transaction))
            await enable.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    [Test]
    public async Task An_untouched_trail_is_valid()
    {
        var result = await VerifyAsync();

        Assert.That(result.Valid, Is.True, result.FirstBroken?.Reason);
        Assert.That(result.EntriesChecked, Is.EqualTo(1 + 7 + 1 + 2 + 7), "process chain: start, 7 schedules, 1 decision; system chain: 2 definitions, 7 meetings");
    }

    [Test]
    public async Task An_edited_row_is_pinpointed()
    {
        var target = (await ChainAsync())[4];
        await AsSuperuserAsync("UPDATE audit_entries SET reason = 'nooit gebeurd' WHERE id = $1", target.Id);

        var result = await VerifyAsync();

        Assert.That(result.Valid, Is.False);
        Assert.That(result.FirstBroken, Is.EqualTo(new BrokenEntry(_process, 5, target.Id, "its content does not match its hash (changed after it was written)")));
    }

    [Test]
    public async Task A_deleted_row_is_pinpointed()
    {
        var target = (await ChainAsync())[2];
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", target.Id);

        var result = await VerifyAsync();

        Assert.That(result.Valid, Is.False);
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Sequence, Is.EqualTo(3));
        Assert.That(result.FirstBroken.Reason, Does.Contain("entry 3 is missing"));
    }

    [Test]
    public async Task A_rewritten_chain_with_recomputed_hashes_is_caught_by_the_checkpoint()
    {
        Assert.That(await CheckpointAsync(), Is.EqualTo(2), "one checkpoint line with the heads of the process chain and the system chain");
        await RewriteFromAsync(2, "achteraf herschreven");

        var result = await VerifyAsync();

        Assert.That(result.Valid, Is.False, "the hashes hold, but the checkpoint remembers the old head");
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Sequence, Is.EqualTo(9));
        Assert.That(result.FirstBroken.Reason, Does.Contain("differs from the checkpoint"));
    }

    [Test]
    public async Task Without_a_checkpoint_a_complete_rewrite_would_go_unnoticed()
    {
        await RewriteFromAsync(2, "achteraf herschreven");

        Assert.That((await VerifyAsync()).Valid, Is.True, "this is why checkpoints are kept outside the database");
    }

    [Test]
    public async Task A_removed_tail_is_caught_by_the_checkpoint()
    {
        await CheckpointAsync();
        var last = (await ChainAsync())[^1];
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", last.Id);

        var result = await VerifyAsync();

        Assert.That(result.Valid, Is.False);
        Assert.That(result.FirstBroken!.Sequence, Is.EqualTo(last.ChainSequence));
        Assert.That(result.FirstBroken.Reason, Does.Contain("is missing now"));
    }

    [Test]
    public async Task A_checkpoint_is_written_only_when_a_chain_moved_on()
    {
        Assert.That(await CheckpointAsync(), Is.EqualTo(2));
        Assert.That(await CheckpointAsync(), Is.Zero);
        await _db.DecideAsync(_process, "GM0590", new RecordDecision(DecisionOutcome.Adopted, 1));
        Assert.That(await CheckpointAsync(), Is.EqualTo(1), "only the chain that moved on is in the new line");
        Assert.That(Directory.GetFiles(_checkpoints).SelectMany(File.ReadLines).Count(), Is.EqualTo(2));
        Assert.That((await VerifyAsync()).CheckpointsChecked, Is.EqualTo(3), "both lines together: two heads of the process chain, one of the system chain");
    }

    [Test]
    public async Task The_whole_trail_is_verified_in_ranges_side_by_side_and_a_break_in_any_range_is_found()
    {
        var later = new List<Guid>();
        for (var i = 0; i < 11; i++)
            later.Add((await _db.StartAsync()).ProcessId);
        var total = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.LongCountAsync());
        var valid = await VerifyAsync();
        Assert.That(valid.Valid, Is.True, valid.FirstBroken?.Reason);
        Assert.That(valid.EntriesChecked, Is.EqualTo(total), "every entry, once, across the ranges");
        Assert.That(valid.ChainsChecked, Is.EqualTo(1 + 1 + 11));

        // The newest process (UUIDv7: the highest id) is in the last range, the first one in an earlier range.
        var newest = later[^1];
        var entry = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking().FirstAsync(e => e.ChainId == newest));
        await AsSuperuserAsync("UPDATE audit_entries SET reason = 'rewritten' WHERE id = $1", entry.Id);
        var broken = await VerifyAsync();
        Assert.That(broken.Valid, Is.False);
        Assert.That(broken.FirstBroken, Is.EqualTo(new BrokenEntry(newest, 1, entry.Id, "its content does not match its hash (changed after it was written)")));
        Assert.That(broken.EntriesChecked, Is.EqualTo(total));
    }

    [Test]
    public async Task A_chain_verified_from_entries_already_read_agrees_with_reading_it_again()
    {
        var target = (await ChainAsync())[3];
        await AsSuperuserAsync("UPDATE audit_entries SET actor_name = 'Iemand anders' WHERE id = $1", target.Id);
        var chain = await ChainAsync();
        var fromEntries = await _db.InScopeAsync(sp => Task.FromResult(sp.GetRequiredService<AuditVerifier>().Verify(_process, chain)));
        var fromDatabase = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync(_process));
        Assert.That(fromEntries, Is.EqualTo(fromDatabase));
        Assert.That(fromEntries.FirstBroken!.Sequence, Is.EqualTo(target.ChainSequence));
    }

    [Test]
    public async Task The_verb_reports_valid_then_the_first_broken_entry_with_exit_code_3()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Decisions"] = _database.App,
            ["Audit__CheckpointDirectory"] = _checkpoints,
        };
        await using (var valid = HostProcess.Start(environment, "verify-audit"))
        {
            Assert.That(await valid.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, valid.StandardError);
            Assert.That(valid.StandardOutput, Does.Contain("Audit trail valid: 18 entries in 2 chains checked"));
        }

        var target = (await ChainAsync())[1];
        await AsSuperuserAsync("UPDATE audit_entries SET actor_id = 'someone-else' WHERE id = $1", target.Id);

        await using var broken = HostProcess.Start(environment, "verify-audit");
        Assert.That(await broken.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(3), broken.StandardError);
        Assert.That(broken.StandardOutput, Does.Contain($"chain {_process}, entry 2 (row {target.Id})").And.Contain("does not match its hash"));
    }

    [Test]
    public async Task The_API_reports_the_verification()
    {
        // No Hangfire server: its sweeper would fire this fixture's 2024 timers (due long ago in real time) mid-test.
        await using var app = new DecisionsAppFactory(_database.App, _checkpoints, new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, "auditor;Auditor");

        var result = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/audit/verify", UriKind.Relative));

        Assert.That(result.GetProperty("valid").GetBoolean(), Is.True);
        Assert.That(result.GetProperty("entriesChecked").GetInt64(), Is.EqualTo(18));
    }

    /// <summary>The superuser's full rewrite: change one entry and recompute every hash after it, so the chain holds again.</summary>
    private async Task RewriteFromAsync(long sequence, string reason)
    {
        var chain = await ChainAsync();
        var previous = chain[(int)sequence - 2].Hash;
        foreach (var original in chain.Where(e => e.ChainSequence >= sequence))
        {
            var rewritten = new AuditEntry
            {
                Uuid = original.Uuid, ChainId = original.ChainId, ChainSequence = original.ChainSequence, RecordedAt = original.RecordedAt,
                ActorId = original.ActorId, ActorName = original.ActorName, ActorRole = original.ActorRole, ActorMunicipality = original.ActorMunicipality,
                Action = original.Action, Resource = original.Resource, ResourceId = original.ResourceId, ResourceName = original.ResourceName,
                ProcessId = original.ProcessId, ItemId = original.ItemId, MunicipalityCode = original.MunicipalityCode, Before = original.Before,
                After = original.After, Reason = original.ChainSequence == sequence ? reason : original.Reason, Status = original.Status,
                CorrelationId = original.CorrelationId, ClientAddress = original.ClientAddress, PreviousHash = previous,
            };
            var hash = AuditHash.Compute(rewritten);
            await AsSuperuserAsync("UPDATE audit_entries SET reason = $1, previous_hash = $2, hash = $3 WHERE id = $4", (object?)rewritten.Reason ?? DBNull.Value, previous, hash, original.Id);
            previous = hash;
        }
    }
}
