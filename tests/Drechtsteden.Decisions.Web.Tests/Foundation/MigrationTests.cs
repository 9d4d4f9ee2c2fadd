using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Foundation;

public sealed class MigrationTests
{
    [Test]
    public async Task Migrations_apply_to_an_empty_database_and_leave_nothing_pending()
    {
        var database = await TestPostgres.CreateEmptyDatabaseAsync();

        await DatabaseExtensions.MigrateAsync(database.Owner, database.App);

        var connectionString = database.App;
        await using var db = TestPostgres.CreateContext(connectionString);
        Assert.That(await db.Database.GetPendingMigrationsAsync(), Is.Empty);
        Assert.That(await db.Database.GetAppliedMigrationsAsync(), Is.EquivalentTo(db.Database.GetMigrations()));
        Assert.That(await TableExistsAsync(connectionString, "municipalities"), Is.True);
    }

    [Test]
    public async Task Migrating_twice_changes_nothing()
    {
        var database = await TestPostgres.CreateDatabaseAsync();

        await DatabaseExtensions.MigrateAsync(database.Owner, database.App);

        await using var db = TestPostgres.CreateContext(database.App);
        Assert.That(await db.Database.GetPendingMigrationsAsync(), Is.Empty);
    }

    [Test]
    public void The_model_has_no_changes_that_lack_a_migration()
    {
        using var db = TestPostgres.CreateContext("Host=127.0.0.1");
        Assert.That(db.Database.HasPendingModelChanges(), Is.False,
            "The EF model differs from the last migration: run 'dotnet ef migrations add <Name> --project src/Drechtsteden.Decisions.Web --output-dir Data/Migrations'.");
    }

    /// <summary>
    /// The tables worked as queues are vacuumed after a fixed number of dead rows, not after a fifth of the table: their
    /// pollers walk the dead entries of their pending indexes until a vacuum (48–241 ms a poll at full size).
    /// </summary>
    [Test]
    public async Task The_queue_tables_are_vacuumed_after_a_fixed_number_of_dead_rows()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(database.App);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT relname, reloptions FROM pg_class WHERE relname = ANY($1) AND relkind = 'r'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Drechtsteden.Decisions.Web.Data.Migrations.QueueTablesVacuumedSooner.Tables });
        var options = new Dictionary<string, string[]>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                options[reader.GetString(0)] = reader.IsDBNull(1) ? [] : reader.GetFieldValue<string[]>(1);
        }
        Assert.That(options.Keys, Is.EquivalentTo(Drechtsteden.Decisions.Web.Data.Migrations.QueueTablesVacuumedSooner.Tables), "every queue table exists");
        foreach (var (table, set) in options)
        {
            Assert.That(set, Does.Contain("autovacuum_vacuum_scale_factor=0"), table);
            Assert.That(set, Does.Contain("autovacuum_vacuum_threshold=5000"), table);
        }
        // The timers are not: millions of rows whose indexes a vacuum reads whole, and no poll walks their dead entries.
        await using var timers = new NpgsqlCommand("SELECT reloptions FROM pg_class WHERE relname = 'timers' AND relkind = 'r'", connection);
        Assert.That(await timers.ExecuteScalarAsync(), Is.EqualTo(DBNull.Value), "the timers keep PostgreSQL's autovacuum settings");
    }

    private static async Task<bool> TableExistsAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
