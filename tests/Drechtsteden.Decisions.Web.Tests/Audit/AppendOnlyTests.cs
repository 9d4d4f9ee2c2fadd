using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>PostgreSQL itself refuses to change the audit trail: privileges for the app role, triggers for everyone.</summary>
public sealed class AppendOnlyTests
{
    private TestDatabase _database = null!;

    [SetUp]
    public async Task DatabaseWithEntries()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        await using var db = await ProcessDatabase.CreateAsync(connectionString: _database.App);
        await db.StartAsync();
    }

    private static async Task<PostgresException> RefusedAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync()))!;
    }

    [TestCase("UPDATE audit_entries SET reason = 'rewritten'")]
    [TestCase("DELETE FROM audit_entries")]
    [TestCase("TRUNCATE audit_entries")]
    public async Task The_app_role_has_no_privilege_to_change_entries(string sql)
    {
        var error = await RefusedAsync(_database.App, sql);
        Assert.That(error.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege));
        Assert.That(error.MessageText, Does.Contain("permission denied"));
    }

    [TestCase("UPDATE audit_entries SET reason = 'rewritten'", "UPDATE")]
    [TestCase("DELETE FROM audit_entries", "DELETE")]
    [TestCase("TRUNCATE audit_entries", "TRUNCATE")]
    public async Task Even_the_owner_and_a_superuser_are_stopped_by_the_triggers(string sql, string operation)
    {
        foreach (var connectionString in new[] { _database.Owner, _database.Superuser })
        {
            var error = await RefusedAsync(connectionString, sql);
            Assert.That(error.MessageText, Is.EqualTo($"audit_entries is append-only: {operation} is refused"));
        }
    }

    [Test]
    public async Task The_app_role_may_append_and_read()
    {
        await using var connection = new NpgsqlConnection(_database.App);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM audit_entries", connection);
        Assert.That((long)(await count.ExecuteScalarAsync())!, Is.GreaterThan(0));
        await using var privileges = new NpgsqlCommand(
            "SELECT has_table_privilege('decisions_app', 'audit_entries', 'INSERT') AND has_table_privilege('decisions_app', 'audit_entries', 'SELECT')", connection);
        Assert.That((bool)(await privileges.ExecuteScalarAsync())!, Is.True);
    }
}
