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

    public static string CanonicalForm(AuditEntry e) => Encoding.UTF8.GetString(CanonicalBytes(AuditEntryBytes.From(e)));

    public static string Compute(AuditEntry e)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeInto(AuditEntryBytes.From(e), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The SHA-256 of the entry's canonical form into <paramref name="hash"/> (32 bytes), without a string on the way.</summary>
    public static void ComputeInto(AuditEntryBytes e, Span<byte> hash) => Log.Sha256.Hash(CanonicalBytes(e), hash);

    /// <summary>True when <paramref name="hex"/> (ASCII) is the lower-case hex of <paramref name="hash"/> — how hashes are stored.</summary>
    public static bool IsHexOf(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> hex)
    {
        if (hex.Length != hash.Length * 2)
            return false;
        for (var i = 0; i < hash.Length; i++)
        {
            if (hex[2 * i] != LowerHex[hash[i] >> 4] || hex[2 * i + 1] != LowerHex[hash[i] & 0xF])
                return false;
        }
        return true;
    }

    private static ReadOnlySpan<byte> LowerHex => "0123456789abcdef"u8;

    public static string HashOf(string canonicalForm) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalForm)));

    /// <summary>The canonical form as UTF-8: fields in this fixed order, nulls written as null. Valid until the thread's next call.</summary>
    private static ReadOnlySpan<byte> CanonicalBytes(AuditEntryBytes e)
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
        WriteText("previous"u8, e.PreviousHash);
        w.WriteString("uuid"u8, e.Uuid);
        Span<char> at = stackalloc char[32];
        w.WriteString("at"u8, FormatInstant(e.RecordedAt, at));
        WriteText("actorId"u8, e.ActorId);
        WriteText("actorName"u8, e.ActorName);
        WriteText("actorRole"u8, e.ActorRole);
        WriteText("actorMunicipality"u8, e.ActorMunicipality);
        WriteText("action"u8, e.Action);
        WriteText("resource"u8, e.Resource);
        WriteText("resourceId"u8, e.ResourceId);
        WriteText("resourceName"u8, e.ResourceName);
        WriteId("process"u8, e.ProcessId);
        WriteId("item"u8, e.ItemId);
        WriteText("municipality"u8, e.MunicipalityCode);
        WriteText("before"u8, e.Before);
        WriteText("after"u8, e.After);
        WriteText("reason"u8, e.Reason);
        w.WriteNumber("status"u8, e.Status);
        WriteText("correlation"u8, e.CorrelationId);
        WriteText("client"u8, e.ClientAddress);
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan;

        // Text arrives as UTF-8 (valid: PostgreSQL's text is); the writer escapes it with the same encoder, per character,
        // as it escaped .NET strings before (CanonicalFormTests pins the result).
        void WriteText(ReadOnlySpan<byte> name, byte[]? utf8)
        {
            if (utf8 is null)
                w.WriteNull(name);
            else
                w.WriteString(name, utf8);
        }

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
