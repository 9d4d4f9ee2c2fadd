using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Drechtsteden.Decisions.Web.Audit.Log;

/// <summary>What a witness answers to a checkpoint (C2SP tlog-witness: 200, 409 with its size, 422, 403, 404).</summary>
public abstract record WitnessAnswer
{
    public sealed record Cosigned(NoteSignature Cosignature) : WitnessAnswer;

    /// <summary>The log's "old" size is not what the witness last cosigned (a rollback, a fork, or a lost answer).</summary>
    public sealed record Conflict(long KnownSize, string Why) : WitnessAnswer;

    public sealed record Refused(int Status, string Why) : WitnessAnswer;
}

/// <summary>
/// A witness: it cosigns a log's checkpoint only when a consistency proof links it to the last checkpoint of that log
/// it cosigned, so it never cosigns a rollback or a fork. It trusts log keys given to it (a checkpoint's origin must
/// start with the key's name and a slash: one key may sign the logs of several databases), keeps its own key and, per
/// origin, the latest cosigned checkpoint in a file of its own, written atomically. A damaged file is reported and
/// that origin refused until an operator looks; other origins carry on.
/// </summary>
public sealed class Witness
{
    private readonly NoteKey _key;
    private readonly IReadOnlyList<NoteKey> _logKeys;
    private readonly string _directory;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();

    public Witness(NoteKey key, IReadOnlyList<NoteKey> logKeys, string directory, TimeProvider clock)
    {
        _key = key;
        _logKeys = logKeys;
        _directory = directory;
        _clock = clock;
        Directory.CreateDirectory(LogsDirectory);
    }

    public NoteKey Key => _key;

    private string LogsDirectory => Path.Combine(_directory, "logs");

    private string StateFile(string origin) =>
        Path.Combine(LogsDirectory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)))[..32] + ".checkpoint");

    /// <summary>The latest checkpoint cosigned for <paramref name="origin"/> (the log's signature and ours), null when none, or the damage.</summary>
    public (SignedNote? Note, string? Damage) Latest(string origin)
    {
        lock (_lock)
            return Read(origin);
    }

    /// <summary>The files this witness cannot read: reported on its status page and at start-up.</summary>
    public IReadOnlyList<string> DamagedFiles() => Directory.GetFiles(LogsDirectory, "*.checkpoint")
        .Where(f => ParseState(SafeRead(f)) is null).Select(Path.GetFileName).OfType<string>().ToList();

    public WitnessAnswer Add(long oldSize, IReadOnlyList<byte[]> proof, string noteText)
    {
        if (SignedNote.Parse(noteText) is not { } note || Checkpoint.Parse(note.Text) is not { } checkpoint)
            return new WitnessAnswer.Refused(400, "not a signed checkpoint");
        var logKey = _logKeys.FirstOrDefault(k => checkpoint.Origin.StartsWith(k.Name + "/", StringComparison.Ordinal));
        if (logKey is null)
            return new WitnessAnswer.Refused(404, $"no log key for origin {checkpoint.Origin}");
        if (!note.Signatures.Any(s => logKey.Verifies(note.Text, s)))
            return new WitnessAnswer.Refused(403, "the log's signature does not verify");
        if (oldSize > checkpoint.Size)
            return new WitnessAnswer.Refused(400, $"old size {oldSize} is larger than the checkpoint's {checkpoint.Size}");

        lock (_lock)
        {
            var (latest, damage) = Read(checkpoint.Origin);
            if (damage is not null)
                return new WitnessAnswer.Refused(500, $"the witness's file for this log is damaged ({damage}); an operator must look before it cosigns again");
            var known = latest is null ? null : Checkpoint.Parse(latest.Text);
            var knownSize = known?.Size ?? 0;
            if (oldSize != knownSize)
                return new WitnessAnswer.Conflict(knownSize, $"the last checkpoint cosigned for this log has size {knownSize}, not {oldSize}");
            if (known is not null && !Merkle.VerifyConsistency(known.Size, checkpoint.Size, known.Root, checkpoint.Root, proof))
            {
                return known.Size == checkpoint.Size
                    ? new WitnessAnswer.Conflict(knownSize, "a different root for the size already cosigned: a fork")
                    : new WitnessAnswer.Refused(422, $"the consistency proof from {known.Size} to {checkpoint.Size} does not hold");
            }
            var cosignature = _key.Cosign(note.Text, _clock.GetUtcNow());
            var logSignatures = note.Signatures.Where(s => logKey.Verifies(note.Text, s));
            Write(checkpoint.Origin, new SignedNote(note.Text, [.. logSignatures, cosignature]));
            return new WitnessAnswer.Cosigned(cosignature);
        }
    }

    private (SignedNote? Note, string? Damage) Read(string origin)
    {
        var file = StateFile(origin);
        if (!File.Exists(file))
            return (null, null);
        var text = SafeRead(file);
        return ParseState(text) is { } note && Checkpoint.Parse(note.Text)?.Origin == origin
            ? (note, null)
            : (null, $"{Path.GetFileName(file)} is not a signed checkpoint of {origin}");
    }

    private static SignedNote? ParseState(string? text) => text is null ? null : SignedNote.Parse(text) is { } note && Checkpoint.Parse(note.Text) is not null ? note : null;

    private static string? SafeRead(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Write to a new file, flush it to disk, then rename it over the old one: a crash leaves the old or the new, never half.</summary>
    private void Write(string origin, SignedNote note)
    {
        var file = StateFile(origin);
        var temporary = file + ".new";
        using (var stream = SecretFiles.OpenOwnerOnly(temporary, FileMode.Create))
        {
            stream.Write(Encoding.UTF8.GetBytes(note.ToString()));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, file, overwrite: true);
        var history = Path.Combine(_directory, "history.log");
        using var log = SecretFiles.OpenOwnerOnly(history, FileMode.Append);
        var checkpoint = Checkpoint.Parse(note.Text)!;
        log.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{_clock.GetUtcNow():O} {checkpoint.Origin} {checkpoint.Size} {checkpoint.RootBase64}\n")));
    }

    /// <summary>The body of a tlog-witness add-checkpoint request: "old N", the proof's hashes, an empty line, the note.</summary>
    public static (long OldSize, List<byte[]> Proof, string Note)? ParseRequest(string body)
    {
        var split = body.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
            return null;
        var head = body[..split].Split('\n');
        if (!head[0].StartsWith("old ", StringComparison.Ordinal) || !long.TryParse(head[0][4..], NumberStyles.None, CultureInfo.InvariantCulture, out var oldSize))
            return null;
        var proof = new List<byte[]>();
        try
        {
            proof.AddRange(head.Skip(1).Select(Convert.FromBase64String));
        }
        catch (FormatException)
        {
            return null;
        }
        return (oldSize, proof, body[(split + 2)..]);
    }

    public static string Request(long oldSize, IEnumerable<byte[]> proof, string note) =>
        $"old {oldSize.ToString(CultureInfo.InvariantCulture)}\n{string.Concat(proof.Select(p => Convert.ToBase64String(p) + "\n"))}\n{note}";
}
