using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class TimersFollowState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_timers_process_id_instance_key",
                table: "timers");

            migrationBuilder.AddColumn<int>(
                name: "attempts",
                table: "timers",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "last_error",
                table: "timers",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "next_attempt_at",
                table: "timers",
                type: "timestamp with time zone",
                nullable: true);

            // Reasons now have one limit everywhere; a longer one given before keeps its full text in the audit trail.
            migrationBuilder.Sql("UPDATE processes SET cancellation_reason = left(cancellation_reason, 1999) || '…' WHERE length(cancellation_reason) > 2000");
            migrationBuilder.AlterColumn<string>(
                name: "cancellation_reason",
                table: "processes",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_timers_process_id_due_at",
                table: "timers",
                columns: new[] { "process_id", "due_at" });

            migrationBuilder.CreateIndex(
                name: "ix_timers_process_id_instance_key",
                table: "timers",
                columns: new[] { "process_id", "instance_key" },
                unique: true,
                filter: "status = 'Scheduled'");

            migrationBuilder.CreateIndex(
                name: "ix_timers_status",
                table: "timers",
                column: "status",
                filter: "status = 'Parked'");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_process_id",
                table: "outbox_messages",
                column: "process_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_timers_process_id_due_at",
                table: "timers");

            migrationBuilder.DropIndex(
                name: "ix_timers_process_id_instance_key",
                table: "timers");

            migrationBuilder.DropIndex(
                name: "ix_timers_status",
                table: "timers");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_process_id",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "attempts",
                table: "timers");

            migrationBuilder.DropColumn(
                name: "last_error",
                table: "timers");

            migrationBuilder.DropColumn(
                name: "next_attempt_at",
                table: "timers");

            migrationBuilder.AlterColumn<string>(
                name: "cancellation_reason",
                table: "processes",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(2000)",
                oldMaxLength: 2000,
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_timers_process_id_instance_key",
                table: "timers",
                columns: new[] { "process_id", "instance_key" },
                unique: true);
        }
    }
}
