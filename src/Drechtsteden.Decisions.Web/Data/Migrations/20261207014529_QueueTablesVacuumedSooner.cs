using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <summary>
    /// The tables worked as queues — a row written, then updated once when it is handled (webhook events fanned out,
    /// deliveries and messages sent) — are vacuumed after a fixed number of dead rows instead of a fifth of the table.
    /// Their pollers read an index of what is pending; until a vacuum every handled row leaves a dead entry there that
    /// each poll walks again: at full size (1.5 million webhook events, 241,000 dead since the last autovacuum) the
    /// webhook poll read 11,708 buffers and took 48–241 ms every second or two; after a VACUUM, 1 buffer and 0.14 ms
    /// (issue 19, session 17). Not the timers: 5.7 million rows at full size, whose indexes a vacuum reads whole
    /// (0.6 s of CPU and ≈ 800 MB read each time), and no poll that walks dead entries.
    /// </summary>
    public partial class QueueTablesVacuumedSooner : Migration
    {
        /// <summary>The queue-like tables and the dead rows after which autovacuum takes them (whatever their size).</summary>
        public static readonly string[] Tables = ["webhook_events", "webhook_deliveries", "outbox_messages"];

        public const int DeadRows = 5000;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
                migrationBuilder.Sql($"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = {DeadRows})");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
                migrationBuilder.Sql($"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)");
        }
    }
}
