using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class CouncilLetter : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "council_letter",
                table: "concept_versions",
                type: "character varying(100000)",
                maxLength: 100000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "council_confirmed_at",
                table: "agenda_items",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "council_confirmed_by",
                table: "agenda_items",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "council_informed_on",
                table: "agenda_items",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "council_link",
                table: "agenda_items",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "council_letter",
                table: "concept_versions");

            migrationBuilder.DropColumn(
                name: "council_confirmed_at",
                table: "agenda_items");

            migrationBuilder.DropColumn(
                name: "council_confirmed_by",
                table: "agenda_items");

            migrationBuilder.DropColumn(
                name: "council_informed_on",
                table: "agenda_items");

            migrationBuilder.DropColumn(
                name: "council_link",
                table: "agenda_items");
        }
    }
}
