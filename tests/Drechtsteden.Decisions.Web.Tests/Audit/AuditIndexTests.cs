using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>
/// Every index on the audit trail is paid for by each entry a command writes, so each one serves a constraint or a
/// reader: the id, the chain's order (the page, the exports, the verification, the command's chain head), the entry's
/// uuid (unique) and the transparency log's reading order. An index on process_id had none (0 scans at full size).
/// </summary>
public sealed class AuditIndexTests
{
    [Test]
    public async Task The_audit_trail_has_the_indexes_its_readers_and_constraints_use_and_no_others()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_entries' ORDER BY indexname", connection);
        var names = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                names.Add(reader.GetString(0));
        Assert.That(names, Is.EquivalentTo(new[]
        {
            "pk_audit_entries", "ix_audit_entries_chain_id_chain_sequence", "ix_audit_entries_uuid", "ix_audit_entries_tx_id",
        }));
    }
}
