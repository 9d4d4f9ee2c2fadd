using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Audit;

/// <summary>
/// The verification walks its ranges of chains side by side and takes as long as the longest walk: the ranges hold
/// about as many entries each (<see cref="AuditVerifier.RangeBoundsAsync"/>), also when a few early processes have long
/// trails and many later ones short trails — as at full size, where ranges with as many chains each left one walk
/// with four fifths of the entries.
/// </summary>
public sealed class RangeBoundsTests
{
    [Test]
    public async Task Ranges_hold_about_as_many_entries_each_when_long_trails_come_first()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        // Three processes with long trails (started first: their UUIDv7 ids sort first), then sixty with short ones.
        for (var n = 0; n < 3; n++)
        {
            db.Clock.Advance(TimeSpan.FromMinutes(1));
            var id = (await db.StartAsync()).ProcessId;
            for (var revision = 0; revision < 40; revision++)
                await db.RunAsync(id, new ReviseConcept($"Het college besluit in te stemmen, versie {revision + 2} van proces {n}."), ProcessDatabase.Coordinator);
        }
        for (var n = 0; n < 60; n++)
        {
            db.Clock.Advance(TimeSpan.FromMinutes(1));
            await db.StartAsync();
        }

        await using var data = NpgsqlDataSource.Create(db.ConnectionString);
        async Task<List<long>> EntriesPerRange(IReadOnlyList<Guid> bounds)
        {
            var counts = new List<long>();
            foreach (var where in AuditVerifier.RangeFilters(bounds))
            {
                await using var count = data.CreateCommand($"SELECT count(*) FROM audit_entries e {where}");
                counts.Add((long)(await count.ExecuteScalarAsync())!);
            }
            return counts;
        }
        await using var total = data.CreateCommand("SELECT count(*) FROM audit_entries");
        var entries = (long)(await total.ExecuteScalarAsync())!;

        await using var connection = await data.OpenConnectionAsync();
        var balanced = await EntriesPerRange(await AuditVerifier.RangeBoundsAsync(connection, 2));
        Assert.That(balanced, Has.Count.EqualTo(2));
        Assert.That(balanced.Sum(), Is.EqualTo(entries), "the ranges cover the trail, each entry once");
        Assert.That(balanced.Max() / (double)entries, Is.LessThanOrEqualTo(0.65), $"entries per range: {string.Join(", ", balanced)}");

        // The split it replaces — as many processes on each side — leaves the long trails in one range.
        await using var median = data.CreateCommand("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY id) FROM processes");
        var byChains = await EntriesPerRange([(Guid)(await median.ExecuteScalarAsync())!]);
        Assert.That(byChains.Max() / (double)entries, Is.GreaterThan(0.75), $"entries per range split by processes: {string.Join(", ", byChains)}");
    }

    [Test]
    public async Task A_small_trail_is_read_whole_and_one_range_has_no_bounds()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        for (var n = 0; n < 4; n++)
            await db.StartAsync();
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        Assert.That(await AuditVerifier.RangeBoundsAsync(connection, 1), Is.Empty);
        var four = await AuditVerifier.RangeBoundsAsync(connection, 4);
        Assert.That(four, Has.Count.InRange(1, 3).And.Ordered.And.Unique);
    }
}
