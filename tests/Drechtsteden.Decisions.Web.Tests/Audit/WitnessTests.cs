using System.Text;
using Drechtsteden.Decisions.Web.Audit.Log;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>The witness cosigns only consistent extensions of what it cosigned before; its files are its own and a damaged one is reported, never fatal.</summary>
public sealed class WitnessTests
{
    private const string Origin = "example.org/audit/0001";
    private readonly NoteKey _log = NoteKey.Generate("example.org/audit", NoteKey.LogType);
    private readonly NoteKey _key = NoteKey.Generate("witness-under-test", NoteKey.CosignatureType);
    private string _directory = "";
    private Witness _witness = null!;

    [SetUp]
    public void Create()
    {
        _directory = Directory.CreateTempSubdirectory("drechtsteden-witness-test-").FullName;
        _witness = new Witness(_key, [_log.Verifier], _directory, TimeProvider.System);
    }

    [TearDown]
    public void Remove() => Directory.Delete(_directory, recursive: true);

    private static List<byte[]> Leaves(int n, byte salt = 0) => Enumerable.Range(0, n).Select(i => Merkle.LeafHash([salt, (byte)i])).ToList();

    private string Note(IReadOnlyList<byte[]> leaves, string origin = Origin, NoteKey? signer = null)
    {
        var checkpoint = new Checkpoint(origin, leaves.Count, Merkle.Root(leaves));
        return new SignedNote(checkpoint.Body, [(signer ?? _log).Sign(checkpoint.Body)]).ToString();
    }

    private static List<byte[]> Proof(IReadOnlyList<byte[]> leaves, long from, long to) =>
        Merkle.ConsistencyRanges(from, to).Select(r => Merkle.Root(leaves.Skip((int)r.Start).Take((int)r.Size).ToList())).ToList();

    [Test]
    public void It_cosigns_a_first_checkpoint_and_then_only_a_consistent_extension()
    {
        var leaves = Leaves(20);
        var first = _witness.Add(0, [], Note(leaves[..7]));
        Assert.That(first, Is.TypeOf<WitnessAnswer.Cosigned>());
        var second = _witness.Add(7, Proof(leaves, 7, 20), Note(leaves));
        Assert.That(second, Is.TypeOf<WitnessAnswer.Cosigned>());

        var (latest, damage) = _witness.Latest(Origin);
        Assert.That(damage, Is.Null);
        Assert.That(Checkpoint.Parse(latest!.Text)!.Size, Is.EqualTo(20));
        Assert.That(_key.Verifier.VerifiesCosignature(latest.Text, latest.Signatures[^1]), Is.Not.Null, "the stored note carries the witness's cosignature");
        Assert.That(_log.Verifier.Verifies(latest.Text, latest.Signatures[0]), Is.True, "and the log's signature");
    }

    [Test]
    public void It_refuses_a_rollback()
    {
        var leaves = Leaves(10);
        _witness.Add(0, [], Note(leaves));

        var smaller = _witness.Add(0, [], Note(leaves[..5]));
        Assert.That(smaller, Is.EqualTo(new WitnessAnswer.Conflict(10, "the last checkpoint cosigned for this log has size 10, not 0")));
        Assert.That(_witness.Add(10, [], Note(leaves[..5])), Is.TypeOf<WitnessAnswer.Refused>().And.Property("Status").EqualTo(400));
        Assert.That(Checkpoint.Parse(_witness.Latest(Origin).Note!.Text)!.Size, Is.EqualTo(10));
    }

    [Test]
    public void It_refuses_a_fork()
    {
        var honest = Leaves(10);
        _witness.Add(0, [], Note(honest));
        var forked = Leaves(12, salt: 1);

        Assert.That(_witness.Add(10, [], Note(forked[..10])), Is.TypeOf<WitnessAnswer.Conflict>(), "same size, other root");
        Assert.That(_witness.Add(10, Proof(forked, 10, 12), Note(forked)), Is.TypeOf<WitnessAnswer.Refused>().And.Property("Status").EqualTo(422),
            "a proof from another tree does not link to what it cosigned");
    }

    [Test]
    public void It_refuses_an_unknown_log_and_a_forged_signature()
    {
        var stranger = NoteKey.Generate("example.org/audit", NoteKey.LogType);
        Assert.That(_witness.Add(0, [], Note(Leaves(3), "other.example/audit/1")), Is.TypeOf<WitnessAnswer.Refused>().And.Property("Status").EqualTo(404));
        Assert.That(_witness.Add(0, [], Note(Leaves(3), signer: stranger)), Is.TypeOf<WitnessAnswer.Refused>().And.Property("Status").EqualTo(403));
    }

    [Test]
    public void A_damaged_file_is_reported_its_log_refused_and_the_others_served()
    {
        _witness.Add(0, [], Note(Leaves(4)));
        var file = Directory.GetFiles(Path.Combine(_directory, "logs"), "*.checkpoint").Single();
        File.WriteAllText(file, "example.org/audit/0001\n4\nhalf-written");

        var restarted = new Witness(_key, [_log.Verifier], _directory, TimeProvider.System); // start-up does not throw
        Assert.That(restarted.DamagedFiles(), Is.EqualTo(new[] { Path.GetFileName(file) }));
        Assert.That(restarted.Add(4, [], Note(Leaves(4))), Is.TypeOf<WitnessAnswer.Refused>().And.Property("Status").EqualTo(500));
        Assert.That(restarted.Latest(Origin).Damage, Does.Contain("is not a signed checkpoint"));
        Assert.That(restarted.Add(0, [], Note(Leaves(2), "example.org/audit/0002")), Is.TypeOf<WitnessAnswer.Cosigned>());
    }

    [Test]
    public void Its_files_are_readable_by_its_owner_only()
    {
        _witness.Add(0, [], Note(Leaves(4)));
        var files = Directory.GetFiles(_directory, "*", SearchOption.AllDirectories);
        Assert.That(files, Is.Not.Empty);
        foreach (var file in files)
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), file);
    }

    [Test]
    public async Task The_witness_verb_speaks_the_tlog_witness_protocol_over_HTTP()
    {
        var directory = Directory.CreateTempSubdirectory("drechtsteden-witness-verb-").FullName;
        var (process, url) = await TestWitness.StartWitnessAsync(directory, _log);
        await using var _ = process;
        using var client = new HttpClient { BaseAddress = url };
        var leaves = Leaves(9);

        using var first = await client.PostAsync("add-checkpoint", new StringContent(Witness.Request(0, [], Note(leaves[..3])), Encoding.UTF8));
        Assert.That((int)first.StatusCode, Is.EqualTo(200), await first.Content.ReadAsStringAsync());
        using var rollback = await client.PostAsync("add-checkpoint", new StringContent(Witness.Request(0, [], Note(leaves[..2])), Encoding.UTF8));
        Assert.That((int)rollback.StatusCode, Is.EqualTo(409));
        Assert.That(await rollback.Content.ReadAsStringAsync(), Is.EqualTo("3\n"));
        Assert.That(rollback.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/x.tlog.size"));
        using var next = await client.PostAsync("add-checkpoint", new StringContent(Witness.Request(3, Proof(leaves, 3, 9), Note(leaves)), Encoding.UTF8));
        Assert.That((int)next.StatusCode, Is.EqualTo(200));

        var latest = SignedNote.Parse(await client.GetStringAsync($"checkpoint?origin={Uri.EscapeDataString(Origin)}"))!;
        Assert.That(Checkpoint.Parse(latest.Text)!.Size, Is.EqualTo(9));
        var key = NoteKey.ParseVerifier(await File.ReadAllTextAsync(Path.Combine(directory, "witness.pub")));
        Assert.That(latest.Signatures.Any(s => key.VerifiesCosignature(latest.Text, s) is not null), Is.True);
        Assert.That(File.GetUnixFileMode(Path.Combine(directory, "witness.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}
