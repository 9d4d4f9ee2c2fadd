using Npgsql;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>Nullable values of a binary <c>COPY</c>, as the verifier reads them: text as the UTF-8 bytes PostgreSQL sends.</summary>
internal static class BinaryExport
{
    /// <summary>The column's value, or null (the column skipped) when it is NULL.</summary>
    public static T? ReadNullable<T>(this NpgsqlBinaryExporter export) where T : struct
    {
        if (!export.IsNull)
            return export.Read<T>();
        export.Skip();
        return null;
    }

    /// <summary>A text column as its UTF-8 bytes (in binary COPY a text value is its bytes, as a bytea is).</summary>
    public static byte[] ReadText(this NpgsqlBinaryExporter export) => export.Read<byte[]>(NpgsqlTypes.NpgsqlDbType.Bytea);

    /// <summary>A nullable text column as its UTF-8 bytes, or null.</summary>
    public static byte[]? ReadNullableText(this NpgsqlBinaryExporter export)
    {
        if (!export.IsNull)
            return export.ReadText();
        export.Skip();
        return null;
    }
}
