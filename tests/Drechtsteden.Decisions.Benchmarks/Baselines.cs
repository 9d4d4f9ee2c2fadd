using Npgsql;

namespace Drechtsteden.Decisions.Benchmarks;

/// <summary>The two baselines, on the same PostgreSQL server, with 16 connections in a closed loop.</summary>
internal static class Baselines
{
    private const int Connections = 16;

    /// <summary>B1: one single-row INSERT per transaction (autocommit): what the server and its WAL can do at all.</summary>
    public static async Task<LatencyStats> SingleRowInsertsAsync(NpgsqlDataSource data, TimeSpan duration)
    {
        await using (var create = data.CreateCommand("CREATE TABLE IF NOT EXISTS bench_b1 (id bigserial PRIMARY KEY, at timestamptz NOT NULL, payload text NOT NULL)"))
            await create.ExecuteNonQueryAsync();
        return await Measure.ClosedLoopAsync(Connections, duration, async _ =>
        {
            await using var command = data.CreateCommand("INSERT INTO bench_b1 (at, payload) VALUES (now(), 'baseline')");
            return await command.ExecuteNonQueryAsync() == 1;
        });
    }

    /// <summary>
    /// B2: the statements one "schedule" command sends (read off the EF Core log of the app), written by hand in one
    /// transaction: lock the process row, read the process and its five child collections, read the meeting, take the
    /// audit chain's advisory lock, read the chain head, update the item, insert two audit entries, commit.
    /// </summary>
    public static async Task<LatencyStats> CommandStatementsAsync(NpgsqlDataSource data, TimeSpan duration)
    {
        const string schema = """
            CREATE TABLE IF NOT EXISTS bench_process (id uuid PRIMARY KEY, state text NOT NULL, title text NOT NULL, deadline timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS bench_item (id uuid PRIMARY KEY, process_id uuid NOT NULL, code text NOT NULL, state text NOT NULL, meeting_id uuid, meeting_starts_at timestamptz);
            CREATE INDEX IF NOT EXISTS bench_item_process ON bench_item (process_id);
            CREATE TABLE IF NOT EXISTS bench_child (id bigserial PRIMARY KEY, process_id uuid NOT NULL, kind int NOT NULL, payload text NOT NULL);
            CREATE INDEX IF NOT EXISTS bench_child_process ON bench_child (process_id, kind);
            CREATE TABLE IF NOT EXISTS bench_meeting (id uuid PRIMARY KEY, code text NOT NULL, starts_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS bench_audit (id bigserial PRIMARY KEY, chain_id uuid NOT NULL, seq bigint NOT NULL, hash text NOT NULL, payload jsonb NOT NULL, UNIQUE (chain_id, seq));
            TRUNCATE bench_process, bench_item, bench_child, bench_meeting, bench_audit;
            INSERT INTO bench_process SELECT gen_random_uuid(), 'Running', 'Benchmark ' || g, now() + interval '30 days' FROM generate_series(1, 2000) g;
            INSERT INTO bench_item SELECT gen_random_uuid(), p.id, 'GM0' || c, 'Unscheduled', NULL, NULL FROM bench_process p CROSS JOIN generate_series(1, 7) c;
            INSERT INTO bench_child (process_id, kind, payload) SELECT p.id, k, repeat('x', 200) FROM bench_process p CROSS JOIN generate_series(1, 4) k;
            INSERT INTO bench_meeting SELECT gen_random_uuid(), 'GM0' || c, now() + interval '7 days' FROM generate_series(1, 7) c;
            ANALYZE bench_process; ANALYZE bench_item; ANALYZE bench_child; ANALYZE bench_meeting;
            """;
        await using (var create = data.CreateCommand(schema))
            await create.ExecuteNonQueryAsync();
        var processes = new List<Guid>();
        await using (var read = data.CreateCommand("SELECT id FROM bench_process"))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                processes.Add(reader.GetGuid(0));
        var meeting = Guid.Empty;
        await using (var read = data.CreateCommand("SELECT id FROM bench_meeting LIMIT 1"))
            meeting = (Guid)(await read.ExecuteScalarAsync())!;

        return await Measure.ClosedLoopAsync(Connections, duration, async i =>
        {
            var process = processes[Random.Shared.Next(processes.Count)];
            await using var connection = await data.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            async Task<int> Read(string sql, params object[] values)
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction);
                foreach (var value in values)
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                await using var reader = await command.ExecuteReaderAsync();
                var rows = 0;
                while (await reader.ReadAsync())
                    rows++;
                return rows;
            }
            await Read("SELECT id FROM bench_process WHERE id = $1 FOR UPDATE", process);
            await Read("SELECT * FROM bench_process WHERE id = $1", process);
            await Read("SELECT * FROM bench_item WHERE process_id = $1", process);
            for (var kind = 1; kind <= 4; kind++)
                await Read("SELECT * FROM bench_child WHERE process_id = $1 AND kind = $2", process, kind);
            await Read("SELECT * FROM bench_meeting WHERE id = $1", meeting);
            await Read("SELECT pg_advisory_xact_lock($1)", process.GetHashCode() + 0L);
            await Read("SELECT seq, hash FROM bench_audit WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1", process);
            await using (var update = new NpgsqlCommand("UPDATE bench_item SET state = 'Scheduled', meeting_id = $1, meeting_starts_at = now() WHERE id = (SELECT id FROM bench_item WHERE process_id = $2 LIMIT 1)", connection, transaction))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = meeting });
                update.Parameters.Add(new NpgsqlParameter { Value = process });
                await update.ExecuteNonQueryAsync();
            }
            foreach (var action in new[] { "item.scheduled", "item.state-changed" })
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO bench_audit (chain_id, seq, hash, payload) SELECT $1, coalesce(max(seq), 0) + 1, md5(random()::text), jsonb_build_object('action', $2::text) FROM bench_audit WHERE chain_id = $1",
                    connection, transaction);
                insert.Parameters.Add(new NpgsqlParameter { Value = process });
                insert.Parameters.Add(new NpgsqlParameter { Value = action });
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
            return true;
        });
    }

    /// <summary>
    /// B3: the least a command needs for our data model — the state change, its two audit entries (each chained to the
    /// one before it, the chain head found by the database) and the timer changes (cancel the item's reminder, book the
    /// next one) — sent as one round trip (an <see cref="NpgsqlBatch"/>; BEGIN travels with it) and a commit: two round
    /// trips in all, synchronous commit on. Runs on B2's tables (call B2 first).
    /// </summary>
    public static async Task<LatencyStats> CommandBatchAsync(NpgsqlDataSource data, TimeSpan duration)
    {
        const string schema = """
            CREATE TABLE IF NOT EXISTS bench_timer (id bigserial PRIMARY KEY, item_id uuid NOT NULL, kind text NOT NULL, due_at timestamptz NOT NULL, status text NOT NULL);
            CREATE INDEX IF NOT EXISTS bench_timer_item ON bench_timer (item_id) WHERE status = 'Scheduled';
            TRUNCATE bench_timer;
            """;
        await using (var create = data.CreateCommand(schema))
            await create.ExecuteNonQueryAsync();
        var items = new List<(Guid Item, Guid Process)>();
        await using (var read = data.CreateCommand("SELECT id, process_id FROM bench_item"))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                items.Add((reader.GetGuid(0), reader.GetGuid(1)));
        Guid meeting;
        await using (var read = data.CreateCommand("SELECT id FROM bench_meeting LIMIT 1"))
            meeting = (Guid)(await read.ExecuteScalarAsync())!;

        return await Measure.ClosedLoopAsync(Connections, duration, async _ =>
        {
            var (item, process) = items[Random.Shared.Next(items.Count)];
            await using var connection = await data.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, transaction);
            NpgsqlBatchCommand Command(string sql, params object[] values)
            {
                var command = new NpgsqlBatchCommand(sql);
                foreach (var value in values)
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                batch.BatchCommands.Add(command);
                return command;
            }
            // The row lock and the state change in one statement; the chain's order is kept by the lock on the process row.
            Command("SELECT 1 FROM bench_process WHERE id = $1 FOR UPDATE", process);
            Command("UPDATE bench_item SET state = 'Scheduled', meeting_id = $1, meeting_starts_at = now() WHERE id = $2", meeting, item);
            foreach (var action in new[] { "item.scheduled", "item.state-changed" })
            {
                Command("""
                    INSERT INTO bench_audit (chain_id, seq, hash, payload)
                    SELECT $1, coalesce(head.seq, 0) + 1, md5(coalesce(head.hash, '') || $2), jsonb_build_object('action', $2::text)
                    FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT seq, hash FROM bench_audit WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1) head ON true
                    """, process, action);
            }
            Command("UPDATE bench_timer SET status = 'Cancelled' WHERE item_id = $1 AND status = 'Scheduled'", item);
            Command("INSERT INTO bench_timer (item_id, kind, due_at, status) VALUES ($1, 'decision-reminder', now() + interval '8 days', 'Scheduled')", item);
            await batch.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return true;
        });
    }
}
