using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Web.Audit.Log;
using Microsoft.VisualBasic.FileIO;

namespace Drechtsteden.Decisions.Web.Audit;

/// <summary>
/// verify-export: checks a process's audit export (JSON or CSV) with nothing but the file and, ideally, the published
/// public keys — no database, no app. Each entry's hash from its canonical form, the chain from entry 1 without gaps,
/// the shown columns against the canonical form, and each entry's inclusion proof against the checkpoint that carries
/// the log's signature and a witness's cosignature. So a griffier can prove their college's decision to anyone.
/// </summary>
public static class ExportVerifier
{
    public const string Verb = "verify-export";

    public sealed record Result(int ExitCode, string Summary);

    private sealed record Row(long Sequence, string Canonical, string Hash, string? Action, string? Reason, string? UserId,
        long? LeafIndex, IReadOnlyList<string> Proof, string? Checkpoint, string? LogKey, string? WitnessKey);

    public static async Task<int> RunAsync(string[] args)
    {
        var file = args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !IsOptionValue(args, a));
        if (file is null || !File.Exists(file))
        {
            await Console.Error.WriteLineAsync("Usage: verify-export <export.json|export.csv> [--log-key KEY] [--witness-key KEY]");
            return 2;
        }
        var result = Verify(await File.ReadAllTextAsync(file), Option(args, "--log-key"), Option(args, "--witness-key"));
        Console.WriteLine(result.Summary);
        return result.ExitCode;
    }

    public static Result Verify(string export, string? logKeyText, string? witnessKeyText)
    {
        List<Row> rows;
        try
        {
            var text = export.TrimStart('\uFEFF');
            rows = text.TrimStart().StartsWith('[') ? FromJson(text) : FromCsv(text);
        }
        catch (Exception e) when (e is JsonException or FormatException or MalformedLineException or InvalidOperationException or KeyNotFoundException)
        {
            return new Result(2, $"Geen audit-export die te lezen is: {e.Message}");
        }
        if (rows.Count == 0)
            return new Result(2, "De export bevat geen regels.");

        NoteKey? logKey = null, witnessKey = null;
        var keysFromExport = logKeyText is null || witnessKeyText is null;
        try
        {
            logKey = Key(logKeyText ?? rows.Select(r => r.LogKey).FirstOrDefault(k => !string.IsNullOrEmpty(k)));
            witnessKey = Key(witnessKeyText ?? rows.Select(r => r.WitnessKey).FirstOrDefault(k => !string.IsNullOrEmpty(k)));
        }
        catch (FormatException e)
        {
            return new Result(2, $"Een sleutel is niet te lezen: {e.Message}");
        }

        var previous = AuditHash.Genesis;
        string? chain = null;
        long anchored = 0;
        Checkpoint? checkpointSeen = null;
        DateTimeOffset? cosignedAt = null;
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            string Broken(string why) => $"Gebroken bij regel {row.Sequence}: {why}.";
            var canonical = JsonNode.Parse(row.Canonical)!.AsObject();
            if (Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(row.Canonical))) != row.Hash)
                return new Result(3, Broken("de canonieke vorm past niet bij de hash (gewijzigd)"));
            if ((long)canonical["sequence"]! != index + 1 || row.Sequence != index + 1)
                return new Result(3, Broken($"regel {index + 1} ontbreekt of staat niet op zijn plaats"));
            if ((string)canonical["previous"]! != previous)
                return new Result(3, Broken("de vorige hash past niet bij de regel ervoor"));
            chain ??= (string)canonical["chain"]!;
            if ((string)canonical["chain"]! != chain)
                return new Result(3, Broken("de regel hoort bij een andere keten"));
            if (row.Action is not null && row.Action != (string?)canonical["action"]
                || row.Reason is not null && row.Reason != ((string?)canonical["reason"] ?? "")
                || row.UserId is not null && !((string?)canonical["actorId"] ?? "").StartsWith(row.UserId, StringComparison.Ordinal))
                return new Result(3, Broken("wat de export toont (actie, toelichting of gebruiker) wijkt af van de canonieke vorm"));
            previous = row.Hash;

            if (row.Checkpoint is null || row.LeafIndex is null)
                continue;
            if (logKey is null || witnessKey is null)
                return new Result(2, "De export noemt geen sleutels; geef --log-key en --witness-key.");
            if (SignedNote.Parse(row.Checkpoint) is not { } note || Checkpoint.Parse(note.Text) is not { } checkpoint)
                return new Result(3, Broken("het checkpoint is niet te lezen"));
            if (!note.Signatures.Any(s => logKey.Verifies(note.Text, s)))
                return new Result(3, Broken("het checkpoint draagt geen geldige handtekening van het log"));
            var at = note.Signatures.Select(s => witnessKey.VerifiesCosignature(note.Text, s)).FirstOrDefault(t => t is not null);
            if (at is null)
                return new Result(3, Broken($"het checkpoint draagt geen geldige medeondertekening van getuige {witnessKey.Name}"));
            var proof = row.Proof.Select(Convert.FromBase64String).ToList();
            if (!Merkle.VerifyInclusion(row.LeafIndex.Value, checkpoint.Size, Merkle.LeafHash(Convert.FromHexString(row.Hash)), proof, checkpoint.Root))
                return new Result(3, Broken($"het inclusiebewijs voor logregel {row.LeafIndex} klopt niet met het checkpoint"));
            anchored++;
            checkpointSeen = checkpoint;
            cosignedAt = at;
        }

        var keys = keysFromExport ? " Let op: de sleutels kwamen (deels) uit de export zelf; vergelijk ze met de gepubliceerde sleutels of geef --log-key en --witness-key." : "";
        if (anchored < rows.Count)
        {
            return new Result(4, $"Niet (geheel) verankerd: {rows.Count} regels van keten {chain} kloppen onderling, maar {rows.Count - anchored} vallen buiten een door een getuige medeondertekend checkpoint.{keys}");
        }
        return new Result(0, $"Export geldig en verankerd: {rows.Count} regels van keten {chain}, elk met inclusiebewijs in checkpoint {checkpointSeen!.Size} van {checkpointSeen.Origin}, "
            + $"ondertekend door het log en medeondertekend door getuige {witnessKey!.Name} ({cosignedAt:yyyy-MM-dd HH:mm:ss}Z).{keys}");
    }

    private static NoteKey? Key(string? text) => string.IsNullOrWhiteSpace(text) ? null : NoteKey.ParseVerifier(text);

    private static List<Row> FromJson(string text)
    {
        var rows = new List<Row>();
        foreach (var item in JsonNode.Parse(text)!.AsArray())
        {
            var keten = item!["keten"]!;
            var anchor = keten["verankering"];
            rows.Add(new Row((long)keten["volgnummer"]!, (string)keten["canoniekeVorm"]!, (string)keten["hash"]!, (string?)item["actie"], (string?)item["toelichting"],
                (string?)item["gebruikersId"], (long?)anchor?["logIndex"], anchor?["inclusiebewijs"]?.AsArray().Select(p => (string)p!).ToList() ?? [],
                (string?)anchor?["checkpoint"], (string?)anchor?["logSleutel"], (string?)anchor?["getuigeSleutel"]));
        }
        return rows;
    }

    private static List<Row> FromCsv(string text)
    {
        using var parser = new TextFieldParser(new StringReader(text)) { HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = false };
        parser.SetDelimiters(",");
        var header = parser.ReadFields() ?? throw new FormatException("no header row");
        var column = header.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => c.i, StringComparer.Ordinal);
        var rows = new List<Row>();
        while (parser.ReadFields() is { } fields)
        {
            string? Cell(string name) => column.TryGetValue(name, out var i) && i < fields.Length ? Unneutralised(fields[i]) : null;
            string? Optional(string name) => Cell(name) is { Length: > 0 } value ? value : null;
            rows.Add(new Row(long.Parse(Cell("volgnummer")!, System.Globalization.CultureInfo.InvariantCulture), Cell("canoniekeVorm")!, Cell("hash")!,
                Cell("actie"), Cell("toelichting"), Cell("gebruikersId"),
                Optional("logIndex") is { } leaf ? long.Parse(leaf, System.Globalization.CultureInfo.InvariantCulture) : null,
                Optional("inclusiebewijs")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
                Optional("checkpoint") is { } checkpoint ? Encoding.UTF8.GetString(Convert.FromBase64String(checkpoint)) : null, Optional("logSleutel"), Optional("getuigeSleutel")));
        }
        return rows;
    }

    /// <summary>Undoes the export's formula guard: a leading apostrophe before =, +, -, @, tab or CR.</summary>
    private static string Unneutralised(string cell) =>
        cell.Length > 1 && cell[0] == '\'' && cell[1] is '=' or '+' or '-' or '@' or '\t' or '\r' ? cell[1..] : cell;

    private static bool IsOptionValue(string[] args, string value)
    {
        var index = Array.IndexOf(args, value);
        return index > 0 && args[index - 1].StartsWith("--", StringComparison.Ordinal);
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
