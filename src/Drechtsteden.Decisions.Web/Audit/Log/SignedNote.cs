using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Drechtsteden.Decisions.Web.Audit.Log;

/// <summary>A checkpoint body in the C2SP tlog-checkpoint format: origin, tree size and root hash, one per line.</summary>
public sealed record Checkpoint(string Origin, long Size, byte[] Root)
{
    public string Body => $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(Root)}\n";

    public string RootBase64 => Convert.ToBase64String(Root);

    public static Checkpoint? Parse(string body)
    {
        var lines = body.Split('\n');
        if (lines.Length < 4 || lines[0].Length == 0 || lines[^1] != "")
            return null;
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return null;
        try
        {
            var root = Convert.FromBase64String(lines[2]);
            return root.Length == Merkle.HashSize ? new Checkpoint(lines[0], size, root) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>A line "— name base64" under a note's text.</summary>
public sealed record NoteSignature(string Name, byte[] Bytes)
{
    public uint KeyId => Bytes.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(Bytes) : 0;

    public string Line => $"— {Name} {Convert.ToBase64String(Bytes)}\n";
}

/// <summary>
/// A signed note in the C2SP signed-note format: a text ending in a newline, an empty line, then one signature line per
/// signer. Signatures of unknown keys are kept and ignored, so a checkpoint carries the log's signature and the
/// witnesses' cosignatures side by side.
/// </summary>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    public override string ToString() => Text + "\n" + string.Concat(Signatures.Select(s => s.Line));

    public SignedNote With(NoteSignature signature) => this with { Signatures = [.. Signatures, signature] };

    public static SignedNote? Parse(string note)
    {
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
            return null;
        var text = note[..(split + 1)];
        var signatures = new List<NoteSignature>();
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "—" || parts[1].Length == 0)
                return null;
            try
            {
                signatures.Add(new NoteSignature(parts[1], Convert.FromBase64String(parts[2])));
            }
            catch (FormatException)
            {
                return null;
            }
        }
        return signatures.Count == 0 ? null : new SignedNote(text, signatures);
    }
}

/// <summary>
/// An Ed25519 key of the signed-note ecosystem (NSec). A log key (type 0x01) signs a note's text; a witness key (type
/// 0x04, C2SP tlog-cosignature/v1) signs "cosignature/v1", the time and the checkpoint body. The key id is the first
/// four bytes of SHA-256(name ‖ "\n" ‖ type ‖ public key). Verifier keys read "name+hex id+base64(type ‖ public key)".
/// </summary>
public sealed class NoteKey
{
    public const byte LogType = 0x01;
    public const byte CosignatureType = 0x04;
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    private readonly Key? _private;
    private readonly PublicKey _public;

    private NoteKey(string name, byte type, Key? privateKey, PublicKey publicKey)
    {
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c == '+'))
            throw new FormatException($"A key name has no spaces and no '+': '{name}'.");
        Name = name;
        Type = type;
        _private = privateKey;
        _public = publicKey;
        var raw = publicKey.Export(KeyBlobFormat.RawPublicKey);
        PublicKeyBytes = raw;
        KeyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. Encoding.UTF8.GetBytes(name), (byte)'\n', type, .. raw]));
    }

    public string Name { get; }

    public byte Type { get; }

    public uint KeyId { get; }

    public byte[] PublicKeyBytes { get; }

    public bool CanSign => _private is not null;

    public string VerifierKey => $"{Name}+{KeyId:x8}+{Convert.ToBase64String([Type, .. PublicKeyBytes])}";

    /// <summary>"PRIVATE+KEY+name+hex id+base64(type ‖ seed)": the form a key is configured or kept in a secret file.</summary>
    public string PrivateKeyText => _private is null
        ? throw new InvalidOperationException("This is a verifier key.")
        : $"PRIVATE+KEY+{Name}+{KeyId:x8}+{Convert.ToBase64String([Type, .. _private.Export(KeyBlobFormat.RawPrivateKey)])}";

    public static NoteKey Generate(string name, byte type)
    {
        var key = Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new NoteKey(name, type, key, key.PublicKey);
    }

    public static NoteKey ParsePrivate(string text)
    {
        var parts = text.Trim().Split('+', 5);
        if (parts.Length != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY")
            throw new FormatException("A private key reads PRIVATE+KEY+name+id+base64.");
        var bytes = Base64(parts[4]);
        if (bytes.Length != 33 || bytes[0] is not (LogType or CosignatureType))
            throw new FormatException("A private key holds a type byte and a 32-byte Ed25519 seed.");
        var key = Key.Import(Ed25519, bytes.AsSpan(1), KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var result = new NoteKey(parts[2], bytes[0], key, key.PublicKey);
        return result.KeyId.ToString("x8", CultureInfo.InvariantCulture) == parts[3]
            ? result
            : throw new FormatException($"The key id {parts[3]} does not belong to this key and name.");
    }

    public static NoteKey ParseVerifier(string text)
    {
        var parts = text.Trim().Split('+', 3);
        if (parts.Length != 3)
            throw new FormatException("A verifier key reads name+id+base64.");
        var bytes = Base64(parts[2]);
        if (bytes.Length != 33 || bytes[0] is not (LogType or CosignatureType))
            throw new FormatException("A verifier key holds a type byte and a 32-byte Ed25519 public key.");
        var result = new NoteKey(parts[0], bytes[0], null, PublicKey.Import(Ed25519, bytes.AsSpan(1), KeyBlobFormat.RawPublicKey));
        return result.KeyId.ToString("x8", CultureInfo.InvariantCulture) == parts[1]
            ? result
            : throw new FormatException($"The key id {parts[1]} does not belong to this key and name.");
    }

    public NoteKey Verifier => new(Name, Type, null, _public);

    /// <summary>Signs a note's text with a log key.</summary>
    public NoteSignature Sign(string text)
    {
        if (Type != LogType || _private is null)
            throw new InvalidOperationException("Only a log's private key signs notes.");
        var signature = Ed25519.Sign(_private, Encoding.UTF8.GetBytes(text));
        return new NoteSignature(Name, [.. KeyIdBytes(), .. signature]);
    }

    public bool Verifies(string text, NoteSignature signature) =>
        Type == LogType && signature.Name == Name && signature.Bytes.Length == 68 && signature.KeyId == KeyId
        && Ed25519.Verify(_public, Encoding.UTF8.GetBytes(text), signature.Bytes.AsSpan(4));

    /// <summary>A witness's cosignature of a checkpoint body at a time (C2SP tlog-cosignature/v1).</summary>
    public NoteSignature Cosign(string checkpointBody, DateTimeOffset at)
    {
        if (Type != CosignatureType || _private is null)
            throw new InvalidOperationException("Only a witness's private key cosigns.");
        var seconds = (ulong)at.ToUnixTimeSeconds();
        var signature = Ed25519.Sign(_private, CosignedMessage(checkpointBody, seconds));
        var time = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(time, seconds);
        return new NoteSignature(Name, [.. KeyIdBytes(), .. time, .. signature]);
    }

    /// <summary>The time of a valid cosignature by this witness key, or null.</summary>
    public DateTimeOffset? VerifiesCosignature(string checkpointBody, NoteSignature signature)
    {
        if (Type != CosignatureType || signature.Name != Name || signature.Bytes.Length != 76 || signature.KeyId != KeyId)
            return null;
        var seconds = BinaryPrimitives.ReadUInt64BigEndian(signature.Bytes.AsSpan(4, 8));
        return Ed25519.Verify(_public, CosignedMessage(checkpointBody, seconds), signature.Bytes.AsSpan(12))
            ? DateTimeOffset.FromUnixTimeSeconds((long)seconds)
            : null;
    }

    private static byte[] CosignedMessage(string checkpointBody, ulong seconds) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {seconds.ToString(CultureInfo.InvariantCulture)}\n{checkpointBody}");

    private byte[] KeyIdBytes()
    {
        var id = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(id, KeyId);
        return id;
    }

    private static byte[] Base64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new FormatException("The key's last part is not base64.");
        }
    }
}
