using System.Text;
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
}
