using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsCheck;
using Drechtsteden.Decisions.Web.Audit;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>
/// The canonical form is what every stored hash was computed over: it may never change, however the code that writes it
/// is made faster. These vectors were computed by the first implementation (Utf8JsonWriter over .NET strings, before the
/// reused buffer of issue 19) and pin it: quotes and backslashes inside the embedded documents, control characters,
/// non-ASCII letters, a character outside the BMP, HTML-sensitive characters, nulls, a negative offset.
/// </summary>
public sealed class CanonicalFormTests
{
    private static AuditEntry Entry(string reason, string? after, DateTimeOffset at, Guid? item) => new()
    {
        Id = 42,
        Uuid = Guid.Parse("0190a5e2-7c3f-7d21-9b4e-3f2a1c0d9e8f"),
        ChainId = Guid.Parse("0190a5e2-7c3f-7000-8000-000000000001"),
        ChainSequence = 7,
        RecordedAt = at,
        ActorId = "secretaris-dordrecht",
        ActorName = "Secretaris Dordrecht",
        ActorRole = "Secretary",
        ActorMunicipality = "GM0505",
        Action = "decision.recorded",
        Resource = "decision",
        ResourceId = "0190a5e2-7c3f-7000-8000-0000000000aa",
        ResourceName = "Besluit van het college",
        ProcessId = Guid.Parse("0190a5e2-7c3f-7000-8000-000000000001"),
        ItemId = item,
        MunicipalityCode = "GM0505",
        Before = null,
        After = after,
        Reason = reason,
        Status = 200,
        CorrelationId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ClientAddress = "127.0.0.1",
        PreviousHash = new string('0', 64),
    };

    private static IEnumerable<TestCaseData> Vectors()
    {
        yield return new TestCaseData(Entry("Gewoon ASCII.", """{"a":1,"b":"tekst met \"aanhalingstekens\" en \\ backslash"}""",
            new DateTimeOffset(2024, 9, 10, 14, 3, 7, TimeSpan.FromHours(2)).AddTicks(1234560), Guid.Parse("0190a5e2-7c3f-7000-8000-0000000000bb")))
            .SetArgDisplayNames("quotes-and-backslashes").Returns("2b1d3b761b21af185e4d1ce49490b5bd1d642b9e287b388b6b7e0ab0665aa2ff");
        yield return new TestCaseData(Entry("Ëén café, 𝄞 muziek, <b>&'\"`+ en\ttab\nregel\u0001\u007f\u2028", null,
            new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5)), null))
            .SetArgDisplayNames("unicode-controls-html-nulls").Returns("a27b9e86b6642a13bf22f1b39e0aab37ffe88003a87cde61080a0f24664286c5");
    }

    [TestCaseSource(nameof(Vectors))]
    public string The_canonical_form_and_its_hash_never_change(AuditEntry entry) => AuditHash.Compute(entry);

    [Test]
    public void Escapes_stay_as_they_were_written()
    {
        var form = AuditHash.CanonicalForm(Entry("Ëén café, 𝄞 muziek, <b>&'\"`+ en\ttab\nregel\u0001\u007f\u2028", """{"b":"\"x\" \\"}""",
            new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5)), null));
        Assert.That(form, Does.Contain("\"reason\":\"Ëén café, \\uD834\\uDD1E muziek, <b>&'\\\"`+ en\\ttab\\nregel\\u0001\\u007F\\u2028\""));
        Assert.That(form, Does.Contain("\"after\":\"{\\\"b\\\":\\\"\\\\\\\"x\\\\\\\" \\\\\\\\\\\"}\""));
        Assert.That(form, Does.Contain("\"at\":\"2024-01-01T05:00:00.000000Z\",").And.Contain("\"item\":null,"));
    }

    [Test]
    public void The_hash_is_the_hash_of_the_canonical_form_and_the_form_is_one_line_of_UTF8_JSON()
    {
        var entry = Entry("x", "{}", DateTimeOffset.UnixEpoch, null);
        var form = AuditHash.CanonicalForm(entry);
        Assert.That(AuditHash.Compute(entry), Is.EqualTo(AuditHash.HashOf(form)));
        Assert.That(form, Does.Not.Contain("\n"));
        Assert.That(System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetBytes(form)).RootElement.GetProperty("after").GetString(), Is.EqualTo("{}"));
    }

    /// <summary>Pieces of text that escaping treats differently: quotes, backslashes, controls, non-ASCII, outside the BMP, unassigned, private use.</summary>
    private static readonly string[] Atoms =
    [
        "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\u0000", "\u0001", "\u001f", "\u007f", "\u0080", "\u009f", "é", "Ë",
        "€", "中", "\u00a0", "\u00ad", "\u2028", "\u2029", "\ufeff", "\ufffd", "\u0378", "\ue000", "\ud7ff", "𝄞", "😀", "<", ">", "&", "'", "+", "`",
        "{\"a\":1}", "[\"x\",null]",
    ];

    private static readonly Gen<string> Text = Gen.Int[0, Atoms.Length - 1].Array[0, 24].Select(picks => string.Concat(picks.Select(i => Atoms[i])));

    /// <summary>Any instant from year 1 to 9999 (ticks, so also a seventh fraction digit), at any offset of whole minutes.</summary>
    private static readonly Gen<DateTimeOffset> Instants = Gen.Select(Gen.Long[DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay], Gen.Int[-14 * 60, 14 * 60])
        .Select((ticks, minutes) => new DateTimeOffset(ticks + minutes * TimeSpan.TicksPerMinute, TimeSpan.FromMinutes(minutes)));

    [Test]
    public void The_canonical_form_equals_the_first_implementations_for_any_text()
    {
        Gen.Select(Text, Text, Text, Gen.Bool, Instants).Sample((reason, after, name, nullable, at) =>
        {
            var entry = Entry(reason, nullable ? null : after, at, nullable ? null : Guid.Empty);
            entry = new AuditEntry
            {
                Id = entry.Id, Uuid = entry.Uuid, ChainId = entry.ChainId, ChainSequence = entry.ChainSequence, RecordedAt = entry.RecordedAt,
                ActorId = name, ActorName = name + reason, ActorRole = entry.ActorRole, ActorMunicipality = nullable ? null : name, Action = entry.Action,
                Resource = entry.Resource, ResourceId = entry.ResourceId, ResourceName = name, ProcessId = entry.ProcessId, ItemId = entry.ItemId,
                MunicipalityCode = entry.MunicipalityCode, Before = after, After = entry.After, Reason = entry.Reason, Status = entry.Status,
                CorrelationId = nullable ? null : after, ClientAddress = entry.ClientAddress, PreviousHash = entry.PreviousHash,
            };
            return AuditHash.CanonicalForm(entry) == FirstImplementation(entry);
        }, iter: 3000);
    }

    /// <summary>
    /// The canonical form as the first implementation wrote it (before issue 19): Utf8JsonWriter over .NET strings with
    /// the relaxed encoder. Kept here as the reference the faster writer must equal.
    /// </summary>
    private static string FirstImplementation(AuditEntry e)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            w.WriteString("chain", e.ChainId.ToString("D"));
            w.WriteNumber("sequence", e.ChainSequence);
            w.WriteString("previous", e.PreviousHash);
            w.WriteString("uuid", e.Uuid.ToString("D"));
            w.WriteString("at", e.RecordedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
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
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
