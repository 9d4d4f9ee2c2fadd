using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>
/// The split between the schema owner (migrations) and the app role (everyday work). The app role may read and write
/// the tables, but the audit trail only grows: it gets INSERT and SELECT there, nothing else, so even a bug or a
/// stolen app password cannot rewrite history. Re-applied after every migration, so new tables are covered.
/// </summary>
public static class DatabaseRoles
{
    /// <summary>Tables the app may only append to and read.</summary>
    public static readonly string[] AppendOnlyTables =
    [
        "audit_entries", "workflow_definitions", "timer_firings", "audit_log", "audit_checkpoints", "audit_cosignatures", "decisions", "concept_versions",
    ];

    public const string HangfireSchema = "hangfire";

    public static async Task GrantAppRoleAsync(DecisionsDbContext db, string? ownerRole, string? appRole, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(appRole) || string.Equals(ownerRole, appRole, StringComparison.Ordinal))
            return; // one role for everything: the triggers still refuse changes to the audit trail
        var app = Quote(appRole);
        var sql = $"""
            GRANT USAGE ON SCHEMA public TO {app};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};
            REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {app};
            GRANT USAGE ON SCHEMA {HangfireSchema} TO {app};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {HangfireSchema} TO {app};
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {HangfireSchema} TO {app};
            """;
        foreach (var table in AppendOnlyTables)
            sql += $"REVOKE UPDATE, DELETE ON {table} FROM {app};\n";
        await db.Database.ExecuteSqlRawAsync(sql, cancellationToken);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
