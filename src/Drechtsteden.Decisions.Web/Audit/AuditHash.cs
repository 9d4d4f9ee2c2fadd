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

    /// <summary>The canonical form's buffer of this thread, reused from entry to entry (no allocation per entry).</summary>
    [ThreadStatic]
    private static byte[]? _scratch;

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

    /// <summary>
    /// The canonical form as UTF-8: fields in this fixed order, nulls written as null. Valid until the thread's next call.
    /// Written byte by byte as <see cref="System.Text.Json.Utf8JsonWriter"/> with the relaxed encoder wrote it (the
    /// first implementation, which <c>CanonicalFormTests</c> keeps and compares with over generated texts and instants):
    /// no whitespace, numbers in decimal, ids in the "D" format, text escaped by <see cref="Escape"/>. Without the
    /// writer's bookkeeping per property, and with ASCII escaped from a table, the form is written in about half the time
    /// (README, issue 19).
    /// </summary>
    private static ReadOnlySpan<byte> CanonicalBytes(AuditEntryBytes e)
    {
        // Escaping writes at most six bytes for one (a control character as \u00XX).
        var texts = e.PreviousHash.Length + e.ActorId.Length + e.ActorName.Length + e.ActorRole.Length + (e.ActorMunicipality?.Length ?? 0)
            + e.Action.Length + e.Resource.Length + e.ResourceId.Length + e.ResourceName.Length + (e.MunicipalityCode?.Length ?? 0)
            + (e.Before?.Length ?? 0) + (e.After?.Length ?? 0) + (e.Reason?.Length ?? 0) + (e.CorrelationId?.Length ?? 0) + (e.ClientAddress?.Length ?? 0);
        var needed = 1024 + 6 * texts;
        var buffer = _scratch;
        if (buffer is null || buffer.Length < needed)
        {
            buffer = new byte[Math.Max(4096, needed)];
            // A buffer grown by a very long entry is not kept: the next entry starts small again.
            _scratch = buffer.Length <= 1 << 20 ? buffer : null;
        }
        var w = new CanonicalWriter(buffer);
        w.Raw("{\"v\":1,\"chain\":"u8);
        w.Id(e.ChainId);
        w.Raw(",\"sequence\":"u8);
        w.Number(e.ChainSequence);
        w.Raw(",\"previous\":"u8);
        w.Text(e.PreviousHash);
        w.Raw(",\"uuid\":"u8);
        w.Id(e.Uuid);
        w.Raw(",\"at\":"u8);
        w.Instant(e.RecordedAt);
        w.Raw(",\"actorId\":"u8);
        w.Text(e.ActorId);
        w.Raw(",\"actorName\":"u8);
        w.Text(e.ActorName);
        w.Raw(",\"actorRole\":"u8);
        w.Text(e.ActorRole);
        w.Raw(",\"actorMunicipality\":"u8);
        w.Text(e.ActorMunicipality);
        w.Raw(",\"action\":"u8);
        w.Text(e.Action);
        w.Raw(",\"resource\":"u8);
        w.Text(e.Resource);
        w.Raw(",\"resourceId\":"u8);
        w.Text(e.ResourceId);
        w.Raw(",\"resourceName\":"u8);
        w.Text(e.ResourceName);
        w.Raw(",\"process\":"u8);
        w.Id(e.ProcessId);
        w.Raw(",\"item\":"u8);
        w.Id(e.ItemId);
        w.Raw(",\"municipality\":"u8);
        w.Text(e.MunicipalityCode);
        w.Raw(",\"before\":"u8);
        w.Text(e.Before);
        w.Raw(",\"after\":"u8);
        w.Text(e.After);
        w.Raw(",\"reason\":"u8);
        w.Text(e.Reason);
        w.Raw(",\"status\":"u8);
        w.Number(e.Status);
        w.Raw(",\"correlation\":"u8);
        w.Text(e.CorrelationId);
        w.Raw(",\"client\":"u8);
        w.Text(e.ClientAddress);
        w.Raw("}"u8);
        return w.Written;
    }

    /// <summary>The encoder the canonical form has always been escaped with.</summary>
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>How <see cref="Encoder"/> writes each ASCII character (null: as itself), asked of it once.</summary>
    private static readonly byte[]?[] AsciiEscapes = [.. Enumerable.Range(0, 128).Select(c =>
    {
        Span<byte> escaped = stackalloc byte[16];
        Encoder.EncodeUtf8([(byte)c], escaped, out _, out var written);
        return written == 1 && escaped[0] == c ? null : escaped[..written].ToArray();
    })];

    /// <summary>The bytes <see cref="Escape"/> stops at: ASCII characters the encoder escapes, and every byte of a non-ASCII character.</summary>
    private static readonly SearchValues<byte> Special = SearchValues.Create([.. Enumerable.Range(0, 256).Where(b => b >= 128 || AsciiEscapes[b] is not null).Select(b => (byte)b)]);

    /// <summary>
    /// Text escaped as the writer escapes it with <see cref="Encoder"/>: runs that need nothing copied, an ASCII
    /// character from <see cref="AsciiEscapes"/>, and a run of non-ASCII characters by the encoder itself (which decides
    /// per character: a run never splits one, as no byte of a multi-byte character is ASCII). Invalid UTF-8 throws, as
    /// the writer did.
    /// </summary>
    private static int Escape(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        var written = 0;
        while (true)
        {
            var at = text.IndexOfAny(Special);
            if (at < 0)
            {
                text.CopyTo(destination[written..]);
                return written + text.Length;
            }
            text[..at].CopyTo(destination[written..]);
            written += at;
            if (text[at] < 128)
            {
                var escaped = AsciiEscapes[text[at]]!;
                escaped.CopyTo(destination[written..]);
                written += escaped.Length;
                text = text[(at + 1)..];
                continue;
            }
            var end = text[at..].IndexOfAnyInRange((byte)0, (byte)127);
            var run = end < 0 ? text[at..] : text.Slice(at, end);
            if (Encoder.EncodeUtf8(run, destination[written..], out _, out var encoded) != OperationStatus.Done)
                throw new ArgumentException("Text in an audit entry is not valid UTF-8.");
            written += encoded;
            text = text[(at + run.Length)..];
        }
    }

    /// <summary>Writes the canonical form into a buffer large enough for it (<see cref="CanonicalBytes"/> sizes it).</summary>
    private ref struct CanonicalWriter(byte[] buffer)
    {
        private int _position;

        public readonly ReadOnlySpan<byte> Written => buffer.AsSpan(0, _position);

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(buffer.AsSpan(_position));
            _position += bytes.Length;
        }

        public void Number(long value)
        {
            if (!System.Buffers.Text.Utf8Formatter.TryFormat(value, buffer.AsSpan(_position), out var written))
                throw new InvalidOperationException("A number did not fit the canonical form's buffer.");
            _position += written;
        }

        public void Id(Guid? id)
        {
            if (id is not { } value)
            {
                Raw("null"u8);
                return;
            }
            buffer[_position++] = (byte)'"';
            value.TryFormat(buffer.AsSpan(_position), out var written, "D");
            _position += written;
            buffer[_position++] = (byte)'"';
        }

        public void Text(byte[]? utf8)
        {
            if (utf8 is null)
            {
                Raw("null"u8);
                return;
            }
            buffer[_position++] = (byte)'"';
            _position += Escape(utf8, buffer.AsSpan(_position));
            buffer[_position++] = (byte)'"';
        }

        /// <summary>The instant in UTC with exactly six fraction digits: yyyy-MM-ddTHH:mm:ss.ffffffZ (the seventh digit cut, as the format did).</summary>
        public void Instant(DateTimeOffset instant)
        {
            var utc = instant.UtcDateTime;
            var d = buffer.AsSpan(_position, 29);
            d[0] = (byte)'"';
            Digits(d.Slice(1, 4), utc.Year);
            d[5] = (byte)'-';
            Digits(d.Slice(6, 2), utc.Month);
            d[8] = (byte)'-';
            Digits(d.Slice(9, 2), utc.Day);
            d[11] = (byte)'T';
            Digits(d.Slice(12, 2), utc.Hour);
            d[14] = (byte)':';
            Digits(d.Slice(15, 2), utc.Minute);
            d[17] = (byte)':';
            Digits(d.Slice(18, 2), utc.Second);
            d[20] = (byte)'.';
            Digits(d.Slice(21, 6), (int)(utc.Ticks % TimeSpan.TicksPerSecond / 10));
            d[27] = (byte)'Z';
            d[28] = (byte)'"';
            _position += 29;
        }

        private static void Digits(Span<byte> into, int value)
        {
            for (var i = into.Length - 1; i >= 0; i--, value /= 10)
                into[i] = (byte)('0' + value % 10);
        }
    }

    /// <summary>Canonical JSON of a document: keys sorted (ordinal), no whitespace.</summary>
    public static string? CanonicalJson(JsonNode? node) => node is null ? null : Sort(node).ToJsonString(Canonical);

    /// <summary>PostgreSQL keeps microseconds; an instant is cut to them before it is stored and hashed.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant) => Time.Instants.ToMicroseconds(instant);

    private static JsonNode Sort(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Sort(p.Value)))),
        JsonArray a => new JsonArray(a.Select(i => i is null ? null : Sort(i)).ToArray()),
        _ => node.DeepClone(),
    };
}
