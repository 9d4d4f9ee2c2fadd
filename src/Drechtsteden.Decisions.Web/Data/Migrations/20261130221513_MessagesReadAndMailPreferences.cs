using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class MessagesReadAndMailPreferences : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string[]>(
                name: "mail_opt_out",
                table: "users",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'::text[]");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "read_at",
                table: "outbox_messages",
                type: "timestamp with time zone",
                nullable: true);

            // Messages from before this version count as read: a person opening the new page does not find the whole history "new".
            migrationBuilder.Sql("UPDATE outbox_messages SET read_at = created_at");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_unread",
                table: "outbox_messages",
                column: "recipient_user_id",
                filter: "read_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_unread",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "mail_opt_out",
                table: "users");

            migrationBuilder.DropColumn(
                name: "read_at",
                table: "outbox_messages");
        }
    }
}
