using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class AuditEntriesNoProcessIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_audit_entries_process_id",
                table: "audit_entries");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_process_id",
                table: "audit_entries",
                column: "process_id");
        }
    }
}
