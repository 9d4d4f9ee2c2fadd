using System.Net.Http.Json;
using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>
/// A database superuser disables the triggers and tampers, seconds after the write; verification pinpoints each case
/// through the hash chains and the transparency log, anchored at the test run's witness (a process of its own).
/// </summary>
public sealed class TamperingTests
{
    private const string Dordrecht = "GM0505";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);

    private TestDatabase _database = null!;
    private ProcessDatabase _db = null!;
    private Guid _process;

    [SetUp]
    public async Task ProcessWithHistory()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _db = await ProcessDatabase.CreateAsync(connectionString: _database.App);
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
    }

    private Task<AuditVerification> VerifyAsync() => _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync());

    /// <summary>What the log writer does within a second of every commit: append, sign, and have the witness cosign.</summary>
    private Task<int> AnchorAsync() => _db.AnchorAsync();

    private Task<List<AuditEntry>> ChainAsync() => _db.InScopeAsync(sp =>
        sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking().Where(e => e.ChainId == _process).OrderBy(e => e.ChainSequence).ToListAsync());

    private async Task<long> LeafIndexAsync(long entryId)
    {
        await using var connection = new NpgsqlConnection(_database.Superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT leaf_index FROM audit_log WHERE entry_id = $1", connection) { Parameters = { new NpgsqlParameter { Value = entryId } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>What only a superuser can do: switch the append-only triggers off, change rows, switch them on.</summary>
    private async Task AsSuperuserAsync(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(_database.Superuser);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var disable = new NpgsqlCommand("ALTER TABLE audit_entries DISABLE TRIGGER USER; ALTER TABLE audit_log DISABLE TRIGGER USER", connection, transaction))
            await disable.ExecuteNonQueryAsync();
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            foreach (var value in values)
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            await command.ExecuteNonQueryAsync();
        }
        await using (var enable = new NpgsqlCommand("ALTER TABLE audit_entries ENABLE TRIGGER USER; ALTER TABLE audit_log ENABLE TRIGGER USER", connection, transaction))
            await enable.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    [Test]
    public async Task An_untouched_anchored_trail_is_valid()
    {
        Assert.That(await AnchorAsync(), Is.EqualTo(1), "the witness cosigned");
        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Valid), result.Summary);
        Assert.That(result.EntriesChecked, Is.EqualTo(1 + 7 + 1 + 2 + 7), "process chain: start, 7 schedules, 1 decision; system chain: 2 definitions, 7 meetings");
        Assert.That(result.Anchor.WitnessedSize, Is.EqualTo(18));
        Assert.That(result.Anchor.Witness, Is.EqualTo("witness-tests"));
    }

    [Test]
    public async Task Without_a_witnessed_checkpoint_the_trail_is_not_anchored_never_valid()
    {
        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.NotAnchored), result.Summary);
        Assert.That(result.ExitCode, Is.EqualTo(4));
        Assert.That(result.Summary, Does.StartWith("Niet verankerd").And.Contain("geen getuige"));
    }

    [Test]
    public async Task An_edited_row_is_pinpointed()
    {
        await AnchorAsync();
        var target = (await ChainAsync())[4];
        await AsSuperuserAsync("UPDATE audit_entries SET reason = 'nooit gebeurd' WHERE id = $1", target.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken, Is.EqualTo(new BrokenEntry(_process, 5, target.Id, "its content does not match its hash (changed after it was written)")));
    }

    [Test]
    public async Task A_deleted_row_is_pinpointed()
    {
        await AnchorAsync();
        var target = (await ChainAsync())[2];
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", target.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Sequence, Is.EqualTo(3));
        Assert.That(result.FirstBroken.Reason, Does.Contain("entry 3 is missing"));
    }

    [Test]
    public async Task The_newest_entry_deleted_seconds_after_it_was_written_is_caught()
    {
        await AnchorAsync();
        await _db.DecideAsync(_process, "GM0590", new RecordDecision(DecisionOutcome.Adopted, 1));
        await AnchorAsync(); // the log writer's round, well within a second of the commit
        var last = (await ChainAsync())[^1];
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", last.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken), "the old checkpoints saw only chain heads every five minutes: this passed as valid");
        Assert.That(result.FirstBroken, Is.EqualTo(new BrokenEntry(_process, last.ChainSequence, last.Id, "this entry was deleted after the transparency log recorded it (leaf 18)")));
    }

    [Test]
    public async Task The_newest_entry_deleted_from_the_trail_and_the_log_is_caught_by_the_witness()
    {
        await _db.DecideAsync(_process, "GM0590", new RecordDecision(DecisionOutcome.Adopted, 1));
        await AnchorAsync();
        var last = (await ChainAsync())[^1];
        await AsSuperuserAsync("DELETE FROM audit_log WHERE entry_id = $1", last.Id);
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", last.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.Reason, Does.Contain("the transparency log ends at 18 leaves, but witness witness-tests cosigned 19"));
    }

    [Test]
    public async Task A_rewritten_chain_with_recomputed_hashes_is_caught_by_the_log()
    {
        await AnchorAsync();
        var second = (await ChainAsync())[1];
        await RewriteFromAsync(2, "achteraf herschreven");

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken), "the hashes hold, but the log recorded the old ones");
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Sequence, Is.EqualTo(2));
        Assert.That(result.FirstBroken.EntryId, Is.EqualTo(second.Id));
        Assert.That(result.FirstBroken.Reason, Does.Contain("differs from what the transparency log recorded"));
    }

    [Test]
    public async Task A_chain_rewritten_together_with_the_log_is_caught_by_the_witnessed_root_and_located()
    {
        await AnchorAsync();
        await RewriteFromAsync(2, "achteraf herschreven");
        foreach (var entry in await ChainAsync())
        {
            await AsSuperuserAsync("UPDATE audit_log SET leaf_hash = $1 WHERE entry_id = $2", Merkle.LeafHash(Convert.FromHexString(entry.Hash)), entry.Id);
        }

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.Reason, Does.Contain("no longer give the root of the checkpoint").And.Contain("at size 18"));
    }

    [Test]
    public async Task A_chains_last_entry_deleted_with_its_leaf_from_the_middle_of_the_log_is_located()
    {
        var other = (await _db.StartAsync()).ProcessId;
        await AnchorAsync();
        var last = (await ChainAsync())[^1];
        var leaf = await LeafIndexAsync(last.Id);
        await AsSuperuserAsync("DELETE FROM audit_log WHERE entry_id = $1", last.Id);
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", last.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken), "the chain itself still holds without its last entry; the log's leaves do not");
        Assert.That(result.FirstBroken!.Reason, Does.Contain($"leaves {leaf}–{leaf} of the transparency log are missing"));
        Assert.That(result.FirstBroken.ChainId, Is.EqualTo(other), "located at the next leaf that is still there");
    }

    [Test]
    public async Task A_chains_last_entry_deleted_while_the_log_kept_its_leaf_is_located()
    {
        await _db.StartAsync();
        await AnchorAsync();
        var last = (await ChainAsync())[^1];
        var leaf = await LeafIndexAsync(last.Id);
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE id = $1", last.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.Reason, Does.Contain($"this entry was deleted after the transparency log recorded it (leaf {leaf})"));
        Assert.That((result.FirstBroken.ChainId, result.FirstBroken.Sequence, result.FirstBroken.EntryId), Is.EqualTo((_process, last.ChainSequence, (long?)last.Id)));
    }

    [Test]
    public async Task A_removed_whole_chain_is_caught()
    {
        var other = (await _db.StartAsync()).ProcessId;
        await AnchorAsync();
        await AsSuperuserAsync("DELETE FROM audit_log WHERE chain_id = $1", other);
        await AsSuperuserAsync("DELETE FROM audit_entries WHERE chain_id = $1", other);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken), "no chain walk misses a chain that is not there; the log does");
        Assert.That(result.FirstBroken!.Reason, Does.Contain("transparency log"));
    }

    [Test]
    public async Task A_reordered_entry_is_pinpointed()
    {
        await AnchorAsync();
        var chain = await ChainAsync();
        await AsSuperuserAsync("UPDATE audit_entries SET chain_sequence = -1 WHERE id = $1", chain[3].Id);
        await AsSuperuserAsync("UPDATE audit_entries SET chain_sequence = 4 WHERE id = $1", chain[4].Id);
        await AsSuperuserAsync("UPDATE audit_entries SET chain_sequence = 5 WHERE id = $1", chain[3].Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Sequence, Is.EqualTo(4));
    }

    [Test]
    public async Task An_entry_inserted_behind_the_log_is_caught()
    {
        await AnchorAsync();
        var chain = await ChainAsync();
        // The superuser copies the last entry as a new one and moves the log's position past it by hand.
        await AsSuperuserAsync("""
            INSERT INTO audit_entries (uuid, chain_id, chain_sequence, recorded_at, actor_id, actor_name, actor_role, action, resource, resource_id, resource_name, status, previous_hash, hash)
            SELECT gen_random_uuid(), chain_id, chain_sequence + 1, recorded_at, actor_id, actor_name, actor_role, action, resource, resource_id, resource_name, status, hash, hash
            FROM audit_entries WHERE id = $1
            """, chain[^1].Id);
        await AsSuperuserAsync("UPDATE audit_log_state SET position_tx = pg_current_xact_id(), position_id = (SELECT max(id) FROM audit_entries)");

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.Sequence, Is.EqualTo(chain[^1].ChainSequence + 1));
    }

    [Test]
    public async Task Entries_are_logged_in_transaction_order_also_across_a_power_of_ten_of_transaction_ids()
    {
        // Found by the benchmark: the writer sorted by the text of the transaction id ("1000" before "999"), took
        // entries out of order and then took some twice. Here transaction ids cross a power of ten between commands.
        await AnchorAsync();
        await using var connection = new NpgsqlConnection(_database.Superuser);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("""
            CREATE OR REPLACE PROCEDURE burn_xids(n bigint) LANGUAGE plpgsql AS $$
            BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$
            """, connection))
            await create.ExecuteNonQueryAsync();
        async Task BurnToAsync(long target)
        {
            await using var current = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", connection);
            var now = (long)(await current.ExecuteScalarAsync())!;
            await using var burn = new NpgsqlCommand($"CALL burn_xids({Math.Max(0, target - now)})", connection);
            burn.CommandTimeout = 300;
            await burn.ExecuteNonQueryAsync();
        }
        await using (var current = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", connection))
        {
            var now = (long)(await current.ExecuteScalarAsync())!;
            var boundary = (long)Math.Pow(10, Math.Floor(Math.Log10(now)) + 1);
            await BurnToAsync(boundary - 5);
        }
        await _db.DecideAsync(_process, "GM0590", new RecordDecision(DecisionOutcome.Adopted, 1)); // below the power of ten
        await BurnToAsync((long)Math.Pow(10, Math.Ceiling(Math.Log10(await XidAsync()))) + 1);
        await _db.DecideAsync(_process, "GM0482", new RecordDecision(DecisionOutcome.Adopted, 1)); // above it

        await AnchorAsync();
        await AnchorAsync(); // a second round must find nothing new, not the same entries again
        await using (var order = new NpgsqlCommand("""
            SELECT bool_and(ordered) FROM (
              SELECT (e.tx, e.id) >= lag((e.tx, e.id)) OVER (ORDER BY l.leaf_index) OR lag(e.id) OVER (ORDER BY l.leaf_index) IS NULL AS ordered
              FROM audit_log l JOIN audit_entries e ON e.id = l.entry_id) o
            """, connection))
            Assert.That(await order.ExecuteScalarAsync(), Is.True, "leaves in (transaction, id) order");
        var result = await VerifyAsync();
        Assert.That(result.Status, Is.EqualTo(AuditStatus.Valid), result.Summary);
        Assert.That(result.Anchor.LogSize, Is.EqualTo(result.EntriesChecked));

        async Task<long> XidAsync()
        {
            await using var current = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", connection);
            return (long)(await current.ExecuteScalarAsync())!;
        }
    }

    [Test]
    public async Task The_app_role_cannot_change_decisions_or_concept_versions()
    {
        await using var connection = new NpgsqlConnection(_database.App);
        await connection.OpenAsync();
        foreach (var sql in new[] { "UPDATE decisions SET text = 'anders'", "DELETE FROM decisions", "UPDATE concept_versions SET text = 'anders'", "DELETE FROM audit_log" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.That(refused!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), sql);
        }
    }

    [Test]
    public async Task A_decision_added_by_a_superuser_without_an_entry_is_caught()
    {
        await AnchorAsync();
        await using (var connection = new NpgsqlConnection(_database.Superuser))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                ALTER TABLE decisions DISABLE TRIGGER USER;
                INSERT INTO decisions (id, item_id, sequence, concept_version, outcome, text, decided_on, reason, meeting_id, text_matches_concept, recorded_at, recorded_by)
                SELECT gen_random_uuid(), item_id, sequence + 1, concept_version, outcome, text, decided_on, reason, meeting_id, text_matches_concept, recorded_at, recorded_by
                FROM decisions LIMIT 1;
                ALTER TABLE decisions ENABLE TRIGGER USER
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Reason, Does.Contain("has no audit entry that recorded it (added behind the trail's back)"));
    }

    [TestCase("decisions", "UPDATE decisions SET text = 'Het college besluit anders.' WHERE outcome = 'Adopted'", "the stored decision")]
    [TestCase("concept_versions", "UPDATE concept_versions SET text = 'Een ander concept.'", "the stored concept version 1")]
    public async Task A_decision_or_concept_changed_by_a_superuser_is_caught_against_the_trail(string table, string sql, string expected)
    {
        await AnchorAsync();
        await using (var connection = new NpgsqlConnection(_database.Superuser))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"ALTER TABLE {table} DISABLE TRIGGER USER; {sql}; ALTER TABLE {table} ENABLE TRIGGER USER", connection);
            await command.ExecuteNonQueryAsync();
        }

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken!.ChainId, Is.EqualTo(_process));
        Assert.That(result.FirstBroken.Reason, Does.Contain(expected).And.Contain("differs from what this entry recorded"));
    }

    [Test]
    public async Task An_entry_whose_recorded_document_is_no_longer_json_is_pinpointed_not_a_crash()
    {
        await AnchorAsync();
        var target = (await ChainAsync()).Single(e => e.Resource == "decision");
        await AsSuperuserAsync("UPDATE audit_entries SET after = '{\"latestDecision\": ' WHERE id = $1", target.Id);

        var result = await VerifyAsync();

        Assert.That(result.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(result.FirstBroken, Is.EqualTo(new BrokenEntry(_process, target.ChainSequence, target.Id, "its content does not match its hash (changed after it was written)")));
    }

    [Test]
    public async Task Stored_rows_are_compared_in_every_range_against_their_own_process()
    {
        var later = new List<Guid>();
        for (var i = 0; i < 11; i++)
            later.Add((await _db.StartAsync()).ProcessId);
        await AnchorAsync();
        Assert.That((await VerifyAsync()).Status, Is.EqualTo(AuditStatus.Valid));

        // The newest process (UUIDv7: the highest id) is in the last range; its first concept is recorded by its start.
        var newest = later[^1];
        await AsSuperuserAsync($"ALTER TABLE concept_versions DISABLE TRIGGER USER; UPDATE concept_versions SET note = 'achteraf' WHERE process_id = '{newest}'; ALTER TABLE concept_versions ENABLE TRIGGER USER");
        var concept = await VerifyAsync();
        Assert.That(concept.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(concept.FirstBroken!.ChainId, Is.EqualTo(newest));
        Assert.That(concept.FirstBroken.Sequence, Is.EqualTo(1), "the start recorded the first concept");
        Assert.That(concept.FirstBroken.Reason, Does.StartWith("the stored concept version 1 differs"));

        // A changed decision comes before a changed concept version, wherever it is.
        await AsSuperuserAsync("ALTER TABLE decisions DISABLE TRIGGER USER; UPDATE decisions SET reason = 'achteraf'; ALTER TABLE decisions ENABLE TRIGGER USER");
        var decision = await VerifyAsync();
        var entry = (await ChainAsync()).Single(e => e.Resource == "decision");
        Assert.That(decision.FirstBroken, Is.EqualTo(new BrokenEntry(_process, entry.ChainSequence, entry.Id, $"the stored decision {entry.ResourceId} differs from what this entry recorded (changed after it was written)")));
    }

    [Test]
    public async Task The_whole_trail_is_verified_in_ranges_side_by_side_and_a_break_in_any_range_is_found()
    {
        var later = new List<Guid>();
        for (var i = 0; i < 11; i++)
            later.Add((await _db.StartAsync()).ProcessId);
        await AnchorAsync();
        var total = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.LongCountAsync());
        var valid = await VerifyAsync();
        Assert.That(valid.Status, Is.EqualTo(AuditStatus.Valid), valid.Summary);
        Assert.That(valid.EntriesChecked, Is.EqualTo(total), "every entry, once, across the ranges");
        Assert.That(valid.ChainsChecked, Is.EqualTo(1 + 1 + 11));

        // The newest process (UUIDv7: the highest id) is in the last range, the first one in an earlier range.
        var newest = later[^1];
        var entry = await _db.InScopeAsync(sp => sp.GetRequiredService<DecisionsDbContext>().AuditEntries.AsNoTracking().FirstAsync(e => e.ChainId == newest));
        await AsSuperuserAsync("UPDATE audit_entries SET reason = 'rewritten' WHERE id = $1", entry.Id);
        var broken = await VerifyAsync();
        Assert.That(broken.Status, Is.EqualTo(AuditStatus.Broken));
        Assert.That(broken.FirstBroken, Is.EqualTo(new BrokenEntry(newest, 1, entry.Id, "its content does not match its hash (changed after it was written)")));
        Assert.That(broken.EntriesChecked, Is.EqualTo(total));
    }

    [Test]
    public async Task A_chain_verified_for_the_page_agrees_with_the_full_verification()
    {
        await AnchorAsync();
        var page = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyChainAsync(_process));
        Assert.That(page.Status, Is.EqualTo(AuditStatus.Valid), page.Summary);

        var target = (await ChainAsync())[3];
        await AsSuperuserAsync("UPDATE audit_entries SET actor_name = 'Iemand anders' WHERE id = $1", target.Id);
        var fromEntries = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyChainAsync(_process));
        var full = await VerifyAsync();
        Assert.That(fromEntries.FirstBroken, Is.EqualTo(full.FirstBroken));
        Assert.That(fromEntries.FirstBroken!.Sequence, Is.EqualTo(target.ChainSequence));
    }

    [Test]
    public async Task The_page_finds_an_entry_the_log_has_passed_but_never_recorded()
    {
        await AnchorAsync();
        var chain = await ChainAsync();
        // The last entry's leaf is removed, and the log's position still says it passed it: the page's check, like the
        // full one, takes each entry's transaction and sees the entry should have been a leaf.
        await AsSuperuserAsync("DELETE FROM audit_log WHERE entry_id = $1", chain[^1].Id);

        var page = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyChainAsync(_process));

        Assert.That(page.Status, Is.EqualTo(AuditStatus.Broken), page.Summary);
        Assert.That(page.FirstBroken, Is.EqualTo(new BrokenEntry(_process, chain[^1].ChainSequence, chain[^1].Id,
            "it is not in the transparency log, which has passed it (added behind the log's back)")));
    }

    [Test]
    public async Task The_entries_the_page_lists_are_the_stored_entries_newest_first_and_only_as_many_as_asked()
    {
        await _db.DecideAsync(_process, ProcessDatabase.Codes.First(c => c != Dordrecht),
            new RecordDecision(DecisionOutcome.Deferred, 1, Reason: "Eerst de raad horen — ‘één’ week, € 0, ✓ 🙂"));
        await AnchorAsync();
        var stored = await ChainAsync();
        Assert.That(stored.Any(e => e.Reason?.Contains("🙂", StringComparison.Ordinal) == true), "the trail has text beyond ASCII, also outside the BMP");
        var all = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().ReadChainAsync(_process, null));
        var three = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().ReadChainAsync(_process, 3));

        // Read as UTF-8 bytes and decoded for the page: every field as EF Core reads it.
        string Json(IEnumerable<AuditEntry> entries) => System.Text.Json.JsonSerializer.Serialize(entries);
        Assert.That(Json(all.NewestFirst), Is.EqualTo(Json(Enumerable.Reverse(stored))));
        Assert.That(Json(three.NewestFirst), Is.EqualTo(Json(Enumerable.Reverse(stored).Take(3))));
        Assert.That(all.Verification.EntriesChecked, Is.EqualTo(stored.Count));
        Assert.That(three.Verification.EntriesChecked, Is.EqualTo(stored.Count), "the whole chain is verified, whatever is listed");
        Assert.That(three.Verification.Status, Is.EqualTo(AuditStatus.Valid), three.Verification.Summary);
    }

    [Test]
    public async Task The_verb_reports_valid_not_anchored_and_broken_with_their_exit_codes()
    {
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__Decisions"] = _database.App };
        await using (var unanchored = HostProcess.Start(environment, "verify-audit"))
        {
            Assert.That(await unanchored.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(4), unanchored.StandardError);
            Assert.That(unanchored.StandardOutput, Does.Contain("Niet verankerd"));
        }
        await AnchorAsync();
        await using (var valid = HostProcess.Start(environment, "verify-audit"))
        {
            Assert.That(await valid.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, valid.StandardError + valid.StandardOutput);
            Assert.That(valid.StandardOutput, Does.Contain("Geldig en verankerd: 18 regels in 2 ketens gecontroleerd"));
        }

        var target = (await ChainAsync())[1];
        await AsSuperuserAsync("UPDATE audit_entries SET actor_id = 'someone-else' WHERE id = $1", target.Id);

        await using var broken = HostProcess.Start(environment, "verify-audit");
        Assert.That(await broken.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(3), broken.StandardError);
        Assert.That(broken.StandardOutput, Does.Contain($"keten {_process}, regel 2 (rij {target.Id})").And.Contain("does not match its hash"));
    }

    [Test]
    public async Task The_running_app_anchors_within_a_second_and_the_API_reports_it()
    {
        // No Hangfire server: its sweeper would fire this fixture's 2024 timers (due long ago in real time) mid-test.
        await using var app = new DecisionsAppFactory(_database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, "auditor;Auditor");

        var started = DateTime.UtcNow;
        JsonElement result;
        do
        {
            result = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/audit/verify", UriKind.Relative));
        }
        while (result.GetProperty("status").GetString() != "Valid" && DateTime.UtcNow - started < TimeSpan.FromSeconds(10));

        Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("Valid"), result.ToString());
        Assert.That(result.GetProperty("valid").GetBoolean(), Is.True);
        Assert.That(result.GetProperty("entriesChecked").GetInt64(), Is.EqualTo(18));
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(5)), "the log writer runs every 250 ms and pushes at once");

        // Each new commit is in a signed checkpoint within a second (the writer's round is 250 ms).
        var delays = new List<TimeSpan>();
        await using var connection = new NpgsqlConnection(_database.Superuser);
        await connection.OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await _db.AddMeetingAsync("GM0505", Sept3.AddDays(7 * (i + 1)));
            var committed = DateTime.UtcNow;
            while (true)
            {
                await using var check = new NpgsqlCommand("SELECT (SELECT max(tree_size) FROM audit_checkpoints) >= (SELECT count(*) FROM audit_entries)", connection);
                if ((bool)(await check.ExecuteScalarAsync())!)
                    break;
                Assert.That(DateTime.UtcNow - committed, Is.LessThan(TimeSpan.FromSeconds(10)), "no checkpoint took the new entry in");
                await Task.Delay(20);
            }
            delays.Add(DateTime.UtcNow - committed);
        }
        TestContext.Out.WriteLine($"commit → signed checkpoint: {string.Join(", ", delays.Select(d => $"{d.TotalMilliseconds:0} ms"))}");
        Assert.That(delays.Order().ElementAt(2), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(1)), "the median commit is in a signed checkpoint within a second");
    }

    [Test]
    public async Task A_damaged_log_key_is_reported_and_the_app_still_starts()
    {
        var file = Path.Combine(Path.GetTempPath(), $"audit-log-{Guid.NewGuid():N}.key");
        await File.WriteAllTextAsync(file, "PRIVATE+KEY+half-gesch");
        try
        {
            await using var app = new DecisionsAppFactory(_database.App, new Dictionary<string, string?>
            {
                ["Jobs:Server"] = "false", ["Audit:Log:SigningKey"] = "", ["Audit:Log:SigningKeyFile"] = file,
            });
            using var client = app.CreateClient();
            client.DefaultRequestHeaders.Add(TestAuthentication.Header, "auditor;Auditor");
            var result = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/audit/verify", UriKind.Relative));
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("NotAnchored"));
            Assert.That(result.GetProperty("anchor").GetProperty("problems").ToString(), Does.Contain("sleutel"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Another_database_has_another_origin_and_is_not_anchored_by_this_ones_checkpoints()
    {
        await AnchorAsync();
        var other = await TestPostgres.CreateDatabaseAsync();
        await using var otherDb = await ProcessDatabase.CreateAsync(connectionString: other.App);
        await otherDb.StartAsync();

        var unanchored = await otherDb.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync());
        Assert.That(unanchored.Status, Is.EqualTo(AuditStatus.NotAnchored), "a new database is a new log, not a rewritten one: " + unanchored.Summary);

        await otherDb.InScopeAsync(async sp => { await sp.GetRequiredService<TransparencyLog>().AppendAsync(); return await sp.GetRequiredService<TransparencyLog>().PushAsync(); });
        var anchored = await otherDb.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync());
        Assert.That(anchored.Status, Is.EqualTo(AuditStatus.Valid), anchored.Summary);
        Assert.That(anchored.Anchor.Origin, Is.Not.EqualTo((await VerifyAsync()).Anchor.Origin));
        Assert.That((await VerifyAsync()).Status, Is.EqualTo(AuditStatus.Valid));
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
