using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>Exports speak the ZGW AuditTrail of the Besluiten API 1.0 and carry what is needed to verify them offline.</summary>
public sealed class ExportTests
{
    private static readonly Actor Auditor = new("auditor", "Accountant", Role.Auditor);
    private static readonly string[] Required = ["bron", "actie", "resultaat", "hoofdObject", "resource", "resourceUrl", "resourceWeergave", "wijzigingen"];
    private static readonly Dictionary<string, int> MaxLengths = new()
    {
        ["gebruikersId"] = 255, ["gebruikersWeergave"] = 255, ["actie"] = 50, ["actieWeergave"] = 200, ["resource"] = 50,
        ["resourceWeergave"] = 200, ["applicatieId"] = 100, ["applicatieWeergave"] = 200,
    };

    private ProcessDatabase _db = null!;
    private Guid _process;

    [SetUp]
    public async Task ProcessWithHistory()
    {
        _db = await ProcessDatabase.CreateAsync();
        _process = (await _db.StartAsync()).ProcessId;
        var meeting = await _db.AddMeetingAsync("GM0505", new DateOnly(2024, 9, 3));
        await _db.ScheduleAsync(_process, "GM0505", meeting.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2024, 9, 3), new TimeOnly(12, 0)));
        await _db.DecideAsync(_process, "GM0505", new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1, Text: "Het college besluit, met één wijziging, in te stemmen."));
    }

    [TearDown]
    public async Task Dispose() => await _db.DisposeAsync();

    private Task<JsonArray> ExportJsonAsync() => _db.InScopeAsync(sp => sp.GetRequiredService<AuditExport>().ToJsonAsync(_process, Auditor));

    [Test]
    public async Task Every_entry_is_a_ZGW_AuditTrail_object_within_the_standards_limits()
    {
        var export = await ExportJsonAsync();

        Assert.That(export, Has.Count.EqualTo(5), "started, scheduled, decided, diverged, and the coordinator's signal");
        foreach (var entry in export.Select(e => e!.AsObject()))
        {
            foreach (var field in Required)
                Assert.That(entry.ContainsKey(field) && entry[field] is not null, Is.True, $"{field} missing in {entry}");
            foreach (var (field, max) in MaxLengths)
                Assert.That(entry[field]!.GetValue<string>().Length, Is.LessThanOrEqualTo(max), field);
            Assert.That(entry["bron"]!.GetValue<string>(), Is.EqualTo("brc"));
            Assert.That(entry["resultaat"]!.GetValue<int>(), Is.InRange(100, 599));
            Assert.That(Uri.TryCreate(entry["hoofdObject"]!.GetValue<string>(), UriKind.Absolute, out var main) && main.AbsolutePath == $"/api/processes/{_process}", Is.True);
            Assert.That(Uri.IsWellFormedUriString(entry["resourceUrl"]!.GetValue<string>(), UriKind.Absolute), Is.True);
            Assert.That(Guid.TryParse(entry["uuid"]!.GetValue<string>(), out _), Is.True);
            Assert.That(DateTimeOffset.TryParse(entry["aanmaakdatum"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _), Is.True);
            Assert.That(entry["wijzigingen"]!.AsObject().ContainsKey("oud") && entry["wijzigingen"]!.AsObject().ContainsKey("nieuw"), Is.True);
        }
        var decision = export[2]!;
        Assert.That(decision["actie"]!.GetValue<string>(), Is.EqualTo("decision.recorded"));
        Assert.That(decision["actieWeergave"]!.GetValue<string>(), Is.EqualTo("Besluit vastgelegd"));
        Assert.That(decision["resource"]!.GetValue<string>(), Is.EqualTo("decision"));
        Assert.That(decision["resourceUrl"]!.GetValue<string>(), Does.EndWith($"/api/processes/{_process}/items/GM0505"));
        Assert.That(decision["wijzigingen"]!["nieuw"]!["latestDecision"]!["outcome"]!.GetValue<string>(), Is.EqualTo("AdoptedWithAmendments"));
        Assert.That(export[0]!["resultaat"]!.GetValue<int>(), Is.EqualTo(201));
    }

    [Test]
    public async Task An_export_can_be_verified_offline_with_nothing_but_SHA_256()
    {
        var export = await ExportJsonAsync();

        // The procedure of docs/audit-trail.md, step by step, on the exported document alone.
        var previous = new string('0', 64);
        foreach (var entry in export.Select(e => e!))
        {
            var chain = entry["keten"]!;
            var canonical = chain["canoniekeVorm"]!.GetValue<string>();
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))).ToLowerInvariant();
            Assert.That(hash, Is.EqualTo(chain["hash"]!.GetValue<string>()), "1. the hash is the SHA-256 of the canonical form");
            Assert.That(chain["vorigeHash"]!.GetValue<string>(), Is.EqualTo(previous), "2. each entry names the hash of the one before");
            var fields = JsonNode.Parse(canonical)!;
            Assert.That(fields["previous"]!.GetValue<string>(), Is.EqualTo(previous), "3. the canonical form carries the same previous hash");
            Assert.That(fields["uuid"]!.GetValue<string>(), Is.EqualTo(entry["uuid"]!.GetValue<string>()), "4. and describes this very entry");
            Assert.That(fields["action"]!.GetValue<string>(), Is.EqualTo(entry["actie"]!.GetValue<string>()));
            Assert.That(fields["after"]?.GetValue<string>() is { } after ? JsonNode.DeepEquals(JsonNode.Parse(after), entry["wijzigingen"]!["nieuw"]) : entry["wijzigingen"]!["nieuw"] is null, Is.True);
            previous = hash;
        }
    }

    [Test]
    public async Task The_documented_shell_recipe_verifies_an_export_and_catches_a_forged_one()
    {
        var folder = Directory.CreateTempSubdirectory("drechtsteden-export-").FullName;
        var export = await ExportJsonAsync();
        await File.WriteAllTextAsync(Path.Combine(folder, "export.json"), export.ToJsonString());
        var script = DocumentedRecipe();

        Assert.That(await RunBashAsync(script, folder), Is.Empty, "an untouched export passes");

        export[2]!["keten"]!["canoniekeVorm"] = export[2]!["keten"]!["canoniekeVorm"]!.GetValue<string>().Replace("AdoptedWithAmendments", "Adopted", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(folder, "export.json"), export.ToJsonString());
        Assert.That(await RunBashAsync(script, folder), Does.Contain("hash wrong at 3"));
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>The sh block of docs/audit-trail.md, so the document cannot drift from what works.</summary>
    private static string DocumentedRecipe()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Drechtsteden.Decisions.sln")))
            dir = dir.Parent;
        var doc = File.ReadAllText(Path.Combine(dir!.FullName, "docs", "audit-trail.md"));
        var start = doc.IndexOf("```sh\n", doc.IndexOf("With `jq`", StringComparison.Ordinal), StringComparison.Ordinal) + 6;
        return doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
    }

    private static async Task<string> RunBashAsync(string script, string folder)
    {
        var info = new System.Diagnostics.ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }

    [Test]
    public async Task An_export_is_itself_recorded_and_the_CSV_has_one_row_per_entry()
    {
        await ExportJsonAsync();
        var csv = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditExport>().ToCsvAsync(_process, Auditor));

        Assert.That(csv, Does.StartWith("\uFEFF"), "a BOM, so that a spreadsheet reads UTF-8");
        var lines = csv.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("volgnummer,aanmaakdatum,actie,actieWeergave,gebruikersId"));
        Assert.That(lines, Has.Length.EqualTo(1 + 6), "header, the five entries of the history (the divergence's signal to the coordinator included) and the first export");
        Assert.That(lines[6], Does.Contain("audit.exported").And.Contain("auditor"));
        Assert.That(lines[3], Does.StartWith("3,").And.Contain("decision.recorded").And.Contain("met één wijziging"));
        await _db.AnchorAsync();
        var verification = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditVerifier>().VerifyAsync());
        Assert.That(verification.Valid, Is.True, verification.Summary);
    }

    [Test]
    public async Task An_anchored_export_proves_every_entry_without_a_database_in_JSON_and_CSV()
    {
        await _db.AnchorAsync();
        var json = (await ExportJsonAsync()).ToJsonString();
        await _db.AnchorAsync(); // the JSON export is itself an entry: anchored before the CSV export includes it
        var csv = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditExport>().ToCsvAsync(_process, Auditor));
        var logKey = TestWitness.LogKey.Verifier.VerifierKey;

        foreach (var (format, export) in new[] { ("json", json), ("csv", csv) })
        {
            var withKeys = ExportVerifier.Verify(export, logKey, TestWitness.Key);
            Assert.That(withKeys.ExitCode, Is.Zero, $"{format}: {withKeys.Summary}");
            Assert.That(withKeys.Summary, Does.StartWith($"Export geldig en verankerd: {(format == "json" ? 5 : 6)} regels").And.Contain("getuige witness-tests").And.Not.Contain("Let op"));
            var keysInside = ExportVerifier.Verify(export, null, null);
            Assert.That(keysInside.ExitCode, Is.Zero, keysInside.Summary);
            Assert.That(keysInside.Summary, Does.Contain("de sleutels kwamen (deels) uit de export zelf"));
            var otherWitness = NoteKey.Generate("witness-tests", NoteKey.CosignatureType).Verifier.VerifierKey;
            Assert.That(ExportVerifier.Verify(export, logKey, otherWitness).ExitCode, Is.EqualTo(3), $"{format}: a witness key that did not cosign");
        }

        // Someone edits the shown reason of the decision in the file: the canonical form no longer agrees.
        var edited = JsonNode.Parse(json)!.AsArray();
        edited[2]!["toelichting"] = "anders besloten";
        var result = ExportVerifier.Verify(edited.ToJsonString(), logKey, TestWitness.Key);
        Assert.That(result.ExitCode, Is.EqualTo(3));
        Assert.That(result.Summary, Does.Contain("regel 3").And.Contain("wijkt af van de canonieke vorm"));

        // … or rewrites the canonical form and its hash, and every hash after it: the inclusion proof no longer holds.
        var rewritten = JsonNode.Parse(json)!.AsArray();
        var previous = rewritten[1]!["keten"]!["hash"]!.GetValue<string>();
        for (var i = 2; i < rewritten.Count; i++)
        {
            var keten = rewritten[i]!["keten"]!;
            var canonical = JsonNode.Parse(keten["canoniekeVorm"]!.GetValue<string>())!;
            canonical["previous"] = previous;
            if (i == 2)
                canonical["after"] = canonical["after"]!.GetValue<string>().Replace("met één wijziging", "zonder wijziging", StringComparison.Ordinal);
            var text = canonical.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            previous = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
            keten["canoniekeVorm"] = text;
            keten["vorigeHash"] = canonical["previous"]!.GetValue<string>();
            keten["hash"] = previous;
        }
        var forged = ExportVerifier.Verify(rewritten.ToJsonString(), logKey, TestWitness.Key);
        Assert.That(forged.ExitCode, Is.EqualTo(3), forged.Summary);
        Assert.That(forged.Summary, Does.Contain("regel 3").And.Contain("inclusiebewijs"));
    }

    [Test]
    public async Task The_verify_export_verb_needs_no_database()
    {
        await _db.AnchorAsync();
        var file = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, (await ExportJsonAsync()).ToJsonString());
        try
        {
            await using var verb = HostProcess.Start(new Dictionary<string, string?> { ["ConnectionStrings__Decisions"] = "Host=nowhere.invalid" },
                "verify-export", file, "--log-key", TestWitness.LogKey.Verifier.VerifierKey, "--witness-key", TestWitness.Key);
            Assert.That(await verb.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, verb.StandardOutput + verb.StandardError);
            Assert.That(verb.StandardOutput, Does.Contain("Export geldig en verankerd: 5 regels"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task A_reason_that_a_spreadsheet_would_run_as_a_formula_is_exported_as_text()
    {
        var meeting = await _db.AddMeetingAsync("GM0590", new DateOnly(2024, 9, 4));
        await _db.ScheduleAsync(_process, "GM0590", meeting.Id);
        _db.Clock.SetUtcNow(Amsterdam.At(new DateOnly(2024, 9, 4), new TimeOnly(12, 0)));
        await _db.DecideAsync(_process, "GM0590", new RecordDecision(DecisionOutcome.Deferred, 1, Reason: "=HYPERLINK(\"https://evil.example/\",\"klik\")"));
        await _db.AnchorAsync();

        var csv = await _db.InScopeAsync(sp => sp.GetRequiredService<AuditExport>().ToCsvAsync(_process, Auditor));

        Assert.That(csv, Does.Contain("\"'=HYPERLINK(\"\"https://evil.example/\"\",\"\"klik\"\")\""));
        Assert.That(csv, Does.Not.Contain(",=HYPERLINK").And.Not.Contain(",\"=HYPERLINK"));
        foreach (var start in new[] { "+1", "-1", "@SUM(A1)", "\tx", "\rx" })
            Assert.That(AuditExport.CsvCell(start), Does.StartWith("'").Or.StartWith("\"'"), start);
        Assert.That(ExportVerifier.Verify(csv, TestWitness.LogKey.Verifier.VerifierKey, TestWitness.Key).ExitCode, Is.Zero, "the neutralised cell still verifies");
    }
}
