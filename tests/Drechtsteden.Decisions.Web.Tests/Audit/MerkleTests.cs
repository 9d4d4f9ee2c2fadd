using System.Security.Cryptography;
using Drechtsteden.Decisions.Web.Audit.Log;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>RFC 9162 hashing, proofs and their verification, against the definition and the published test vectors.</summary>
public sealed class MerkleTests
{
    /// <summary>The leaves of the Certificate Transparency test vectors (also in transparency-dev/merkle).</summary>
    private static readonly byte[][] VectorLeaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    [Test]
    public void The_root_matches_the_published_vectors()
    {
        var leaves = VectorLeaves.Select(l => Merkle.LeafHash(l)).ToList();
        Assert.That(Convert.ToHexStringLower(Merkle.EmptyRoot), Is.EqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        Assert.That(Convert.ToHexStringLower(Merkle.Root(leaves[..1])), Is.EqualTo("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
        Assert.That(Convert.ToHexStringLower(Merkle.Root(leaves)), Is.EqualTo("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"));
    }

    /// <summary>MTH as RFC 9162 defines it, recursively: the reference the frontier and the proofs are checked against.</summary>
    private static byte[] Reference(IReadOnlyList<byte[]> leaves, long start, long end)
    {
        if (end - start == 1)
            return leaves[(int)start];
        var k = Merkle.Split(end - start);
        return Merkle.NodeHash(Reference(leaves, start, start + k), Reference(leaves, start + k, end));
    }

    private static List<byte[]> Leaves(int n) => Enumerable.Range(0, n).Select(i => Merkle.LeafHash(BitConverter.GetBytes(i))).ToList();

    [Test]
    public void Every_proof_for_trees_up_to_70_leaves_verifies_and_a_changed_one_does_not()
    {
        var leaves = Leaves(70);
        for (var n = 1; n <= 70; n++)
        {
            var root = Reference(leaves, 0, n);
            Assert.That(Merkle.Root(leaves[..n]), Is.EqualTo(root), $"root of {n}");
            for (var i = 0; i < n; i++)
            {
                var proof = Merkle.InclusionRanges(i, n).Select(r => Reference(leaves, r.Start, r.End)).ToList();
                Assert.That(Merkle.VerifyInclusion(i, n, leaves[i], proof, root), Is.True, $"inclusion of {i} in {n}");
                Assert.That(Merkle.VerifyInclusion(i, n, leaves[(i + 1) % 70], proof, root), Is.False, $"another leaf at {i} in {n}");
                if (proof.Count > 0)
                {
                    var bent = proof.Select(p => (byte[])p.Clone()).ToList();
                    bent[^1][0] ^= 1;
                    Assert.That(Merkle.VerifyInclusion(i, n, leaves[i], bent, root), Is.False, $"bent proof of {i} in {n}");
                }
            }
            for (var m = 1; m <= n; m++)
            {
                var old = Reference(leaves, 0, m);
                var proof = Merkle.ConsistencyRanges(m, n).Select(r => Reference(leaves, r.Start, r.End)).ToList();
                Assert.That(Merkle.VerifyConsistency(m, n, old, root, proof), Is.True, $"consistency {m} → {n}");
                if (m < n)
                {
                    var forked = leaves[..n].ToList();
                    forked[m - 1] = Merkle.LeafHash([0xff]);
                    Assert.That(Merkle.VerifyConsistency(m, n, old, Reference(forked, 0, n), proof), Is.False, $"fork {m} → {n}");
                    Assert.That(Merkle.VerifyConsistency(m, n, Reference(forked, 0, m), root, proof), Is.False, $"rewritten past {m} → {n}");
                }
            }
        }
    }

    [Test]
    public void The_frontier_survives_a_round_trip_and_keeps_growing_to_the_same_root()
    {
        var leaves = Leaves(300);
        var frontier = new Frontier();
        foreach (var leaf in leaves[..123])
            frontier.Append(leaf);
        var stored = Frontier.Deserialize(frontier.Size, frontier.Serialize());
        foreach (var leaf in leaves[123..])
            stored.Append(leaf);
        Assert.That(stored.Root(), Is.EqualTo(Reference(leaves, 0, 300)));
    }

    [Test]
    public void A_note_signed_by_the_log_and_cosigned_by_a_witness_verifies_only_as_written()
    {
        var log = NoteKey.Generate("example.org/audit", NoteKey.LogType);
        var witness = NoteKey.Generate("witness.example", NoteKey.CosignatureType);
        var checkpoint = new Checkpoint("example.org/audit/1", 12, SHA256.HashData("x"u8));
        var note = new SignedNote(checkpoint.Body, [log.Sign(checkpoint.Body)]);
        note = note.With(witness.Cosign(checkpoint.Body, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));

        var parsed = SignedNote.Parse(note.ToString())!;
        var logVerifier = NoteKey.ParseVerifier(log.VerifierKey);
        var witnessVerifier = NoteKey.ParseVerifier(witness.VerifierKey);
        Assert.That(Checkpoint.Parse(parsed.Text), Is.EqualTo(checkpoint).Using<Checkpoint>((a, b) => a.Body == b.Body));
        Assert.That(logVerifier.Verifies(parsed.Text, parsed.Signatures[0]), Is.True);
        Assert.That(witnessVerifier.VerifiesCosignature(parsed.Text, parsed.Signatures[1]), Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));
        Assert.That(NoteKey.ParsePrivate(log.PrivateKeyText).VerifierKey, Is.EqualTo(log.VerifierKey));

        var other = new Checkpoint("example.org/audit/1", 13, checkpoint.Root).Body;
        Assert.That(logVerifier.Verifies(other, parsed.Signatures[0]), Is.False);
        Assert.That(witnessVerifier.VerifiesCosignature(other, parsed.Signatures[1]), Is.Null);
        Assert.That(witnessVerifier.VerifiesCosignature(parsed.Text, parsed.Signatures[0]), Is.Null, "a log signature is no cosignature");
    }
}
