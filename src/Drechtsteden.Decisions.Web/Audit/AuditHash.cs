using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>
/// The canonical serialization of an audit entry and its SHA-256 (documented in docs/audit-trail.md). The canonical
/// form is one line of JSON with a fixed field order, no whitespace, instants in UTC with exactly six fraction digits
/// (PostgreSQL keeps microseconds), and the before/after documents embedded as their canonical JSON text.
/// </summary>
public static class AuditHash
{
    /// <summary>The previous hash of a chain's first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    private static readonly JsonSerializerOptions Canonical = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    /// <summary>The canonical form's buffer and writer of this thread, reused from entry to entry (no allocation per entry).</summary>
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _scratch;

    public static string CanonicalForm(AuditEntry e) => Encoding.UTF8.GetString(CanonicalBytes(e));

    public static string Compute(AuditEntry e)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeInto(e, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The SHA-256 of the entry's canonical form into <paramref name="hash"/> (32 bytes), without a string on the way.</summary>
    public static void ComputeInto(AuditEntry e, Span<byte> hash) => SHA256.HashData(CanonicalBytes(e), hash);

    /// <summary>
    /// True when <paramref name="hex"/> is the lower-case hex of <paramref name="hash"/> — how hashes are stored. Compared
    /// without decoding: any other spelling (upper case, other length) is not the stored form and does not match.
    /// </summary>
    public static bool IsHexOf(ReadOnlySpan<byte> hash, string? hex)
    {
        if (hex is null || hex.Length != hash.Length * 2)
            return false;
        Span<char> expected = stackalloc char[SHA256.HashSizeInBytes * 2];
        return Convert.TryToHexStringLower(hash, expected, out var written) && expected[..written].SequenceEqual(hex);
    }

    public static string HashOf(string canonicalForm) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalForm)));

    /// <summary>The canonical form as UTF-8: fields in this fixed order, nulls written as null. Valid until the thread's next call.</summary>
    private static ReadOnlySpan<byte> CanonicalBytes(AuditEntry e)
    {
        if (_scratch is not var (buffer, w))
        {
            buffer = new ArrayBufferWriter<byte>(4096);
            w = new Utf8JsonWriter(buffer, WriterOptions);
            _scratch = (buffer, w);
        }
        // A buffer grown by a very long entry is not kept: the next entry starts small again.
        if (buffer.Capacity > 1 << 20)
        {
            buffer = new ArrayBufferWriter<byte>(4096);
            _scratch = (buffer, w);
        }
        buffer.ResetWrittenCount();
        w.Reset(buffer);
        w.WriteStartObject();
        w.WriteNumber("v"u8, 1);
        w.WriteString("chain"u8, e.ChainId);
        w.WriteNumber("sequence"u8, e.ChainSequence);
        w.WriteString("previous"u8, e.PreviousHash);
        w.WriteString("uuid"u8, e.Uuid);
        Span<char> at = stackalloc char[32];
        w.WriteString("at"u8, FormatInstant(e.RecordedAt, at));
        w.WriteString("actorId"u8, e.ActorId);
        w.WriteString("actorName"u8, e.ActorName);
        w.WriteString("actorRole"u8, e.ActorRole);
        w.WriteString("actorMunicipality"u8, e.ActorMunicipality);
        w.WriteString("action"u8, e.Action);
        w.WriteString("resource"u8, e.Resource);
        w.WriteString("resourceId"u8, e.ResourceId);
        w.WriteString("resourceName"u8, e.ResourceName);
        WriteId("process"u8, e.ProcessId);
        WriteId("item"u8, e.ItemId);
        w.WriteString("municipality"u8, e.MunicipalityCode);
        w.WriteString("before"u8, e.Before);
        w.WriteString("after"u8, e.After);
        w.WriteString("reason"u8, e.Reason);
        w.WriteNumber("status"u8, e.Status);
        w.WriteString("correlation"u8, e.CorrelationId);
        w.WriteString("client"u8, e.ClientAddress);
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan;

        void WriteId(ReadOnlySpan<byte> name, Guid? id)
        {
            if (id is { } value)
                w.WriteString(name, value);
            else
                w.WriteNull(name);
        }
    }

    /// <summary>Canonical JSON of a document: keys sorted (ordinal), no whitespace.</summary>
    public static string? CanonicalJson(JsonNode? node) => node is null ? null : Sort(node).ToJsonString(Canonical);

    /// <summary>PostgreSQL keeps microseconds; an instant is cut to them before it is stored and hashed.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant) => Time.Instants.ToMicroseconds(instant);

    /// <summary>The instant in UTC with exactly six fraction digits, formatted into <paramref name="text"/>.</summary>
    private static ReadOnlySpan<char> FormatInstant(DateTimeOffset instant, Span<char> text) =>
        instant.UtcDateTime.TryFormat(text, out var written, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)
            ? text[..written]
            : throw new InvalidOperationException("An instant did not fit its canonical form.");

    private static JsonNode Sort(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Sort(p.Value)))),
        JsonArray a => new JsonArray(a.Select(i => i is null ? null : Sort(i)).ToArray()),
        _ => node.DeepClone(),
    };
}
