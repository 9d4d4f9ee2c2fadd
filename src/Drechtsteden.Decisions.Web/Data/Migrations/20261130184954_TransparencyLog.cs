using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Drechtsteden.Decisions.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class TransparencyLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The transaction that wrote each entry: the log writer takes entries in (tx, id) order and only from
            // transactions older than every one still running, so an entry that commits late is never skipped.
            // The column is not in the EF model: the database fills it, nothing reads it but the log writer.
            migrationBuilder.Sql(@"
ALTER TABLE audit_entries ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX ix_audit_entries_tx_id ON audit_entries (tx, id);

-- The transparency log (RFC 9162): leaf i is the entry's 32-byte hash; chain and sequence are kept to locate a loss.
CREATE TABLE audit_log (
    leaf_index bigint PRIMARY KEY,
    entry_id bigint NOT NULL UNIQUE,
    chain_id uuid NOT NULL,
    chain_sequence bigint NOT NULL,
    leaf_hash bytea NOT NULL
);
CREATE INDEX ix_audit_log_chain_id_chain_sequence ON audit_log (chain_id, chain_sequence);

-- The writer's position: tree size, right edge, and the last (tx, id) taken. log_id is set on first use, so a database
-- copied from a template before any entry gets an origin of its own.
CREATE TABLE audit_log_state (
    id integer PRIMARY KEY CHECK (id = 1),
    log_id uuid,
    tree_size bigint NOT NULL,
    frontier bytea NOT NULL,
    position_tx xid8 NOT NULL,
    position_id bigint NOT NULL
);
INSERT INTO audit_log_state VALUES (1, NULL, 0, ''::bytea, '0'::xid8, 0);

-- Checkpoints signed by the log's key, and what the witnesses cosigned (their signatures verify without us).
CREATE TABLE audit_checkpoints (
    tree_size bigint PRIMARY KEY,
    root bytea NOT NULL,
    note text NOT NULL,
    signed_at timestamptz NOT NULL
);
CREATE TABLE audit_cosignatures (
    witness text NOT NULL,
    tree_size bigint NOT NULL,
    note text NOT NULL,
    cosigned_at timestamptz NOT NULL,
    PRIMARY KEY (witness, tree_size)
);

-- Append-only for everyone but a superuser who disables the triggers (the app role also lacks the privileges).
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_checkpoints_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_cosignatures_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_cosignatures FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER decisions_no_update_or_delete BEFORE UPDATE OR DELETE ON decisions FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER concept_versions_no_update_or_delete BEFORE UPDATE OR DELETE ON concept_versions FOR EACH ROW EXECUTE FUNCTION refuse_change();
");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(@"
DROP TRIGGER concept_versions_no_update_or_delete ON concept_versions;
DROP TRIGGER decisions_no_update_or_delete ON decisions;
DROP TABLE audit_cosignatures, audit_checkpoints, audit_log_state, audit_log;
DROP FUNCTION refuse_change();
DROP INDEX ix_audit_entries_tx_id;
ALTER TABLE audit_entries DROP COLUMN tx;
");
        }
    }
}
