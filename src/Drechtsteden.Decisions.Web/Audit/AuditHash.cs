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

    public static string CanonicalForm(AuditEntry e) => Encoding.UTF8.GetString(CanonicalBytes(e).WrittenSpan);

    public static string Compute(AuditEntry e) => Convert.ToHexString(SHA256.HashData(CanonicalBytes(e).WrittenSpan)).ToLowerInvariant();

    public static string HashOf(string canonicalForm) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalForm))).ToLowerInvariant();

    /// <summary>The canonical form as UTF-8: fields in this fixed order, nulls written as null.</summary>
    private static ArrayBufferWriter<byte> CanonicalBytes(AuditEntry e)
    {
        var buffer = new ArrayBufferWriter<byte>(512 + (e.Before?.Length ?? 0) + (e.After?.Length ?? 0));
        using var w = new Utf8JsonWriter(buffer, WriterOptions);
        w.WriteStartObject();
        w.WriteNumber("v", 1);
        w.WriteString("chain", e.ChainId.ToString("D"));
        w.WriteNumber("sequence", e.ChainSequence);
        w.WriteString("previous", e.PreviousHash);
        w.WriteString("uuid", e.Uuid.ToString("D"));
        w.WriteString("at", FormatInstant(e.RecordedAt));
        w.WriteString("actorId", e.ActorId);
        w.WriteString("actorName", e.ActorName);
        w.WriteString("actorRole", e.ActorRole);
        w.WriteString("actorMunicipality", e.ActorMunicipality);
        w.WriteString("action", e.Action);
        w.WriteString("resource", e.Resource);
        w.WriteString("resourceId", e.ResourceId);
        w.WriteString("resourceName", e.ResourceName);
        w.WriteString("process", e.ProcessId?.ToString("D"));
        w.WriteString("item", e.ItemId?.ToString("D"));
        w.WriteString("municipality", e.MunicipalityCode);
        w.WriteString("before", e.Before);
        w.WriteString("after", e.After);
        w.WriteString("reason", e.Reason);
        w.WriteNumber("status", e.Status);
        w.WriteString("correlation", e.CorrelationId);
        w.WriteString("client", e.ClientAddress);
        w.WriteEndObject();
        w.Flush();
        return buffer;
    }

    /// <summary>Canonical JSON of a document: keys sorted (ordinal), no whitespace.</summary>
    public static string? CanonicalJson(JsonNode? node) => node is null ? null : Sort(node).ToJsonString(Canonical);

    /// <summary>PostgreSQL keeps microseconds; an instant is cut to them before it is stored and hashed.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant) => Time.Instants.ToMicroseconds(instant);

    private static string FormatInstant(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static JsonNode Sort(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Sort(p.Value)))),
        JsonArray a => new JsonArray(a.Select(i => i is null ? null : Sort(i)).ToArray()),
        _ => node.DeepClone(),
    };
}
