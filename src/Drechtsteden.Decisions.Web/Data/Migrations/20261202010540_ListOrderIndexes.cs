using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class ListOrderIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_processes_deadline_at",
                table: "processes");

            migrationBuilder.DropIndex(
                name: "ix_processes_region_code",
                table: "processes");

            migrationBuilder.CreateIndex(
                name: "ix_processes_deadline_at_id",
                table: "processes",
                columns: new[] { "deadline_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_processes_region_code_deadline_at_id",
                table: "processes",
                columns: new[] { "region_code", "deadline_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_processes_deadline_at_id",
                table: "processes");

            migrationBuilder.DropIndex(
                name: "ix_processes_region_code_deadline_at_id",
                table: "processes");

            migrationBuilder.CreateIndex(
                name: "ix_processes_deadline_at",
                table: "processes",
                column: "deadline_at");

            migrationBuilder.CreateIndex(
                name: "ix_processes_region_code",
                table: "processes",
                column: "region_code");
        }
    }
}
