using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;

namespace Drechtsteden.Decisions.Web.Tests.Processes;

/// <summary>
/// The process page lists the newest 50 entries of a long audit trail and links to all of them; the verification above
/// the list walks the whole chain either way (issue 19: a trail of hundreds of rows was rendered on every view and every
/// live refresh).
/// </summary>
public sealed partial class ProcessPageTrailTests
{
    [Test]
    public async Task A_long_trail_lists_its_newest_fifty_entries_and_links_to_all()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        Guid process;
        await using (var db = await ProcessDatabase.CreateAsync(connectionString: database.App))
        {
            process = (await db.StartAsync()).ProcessId;
            // Every revision writes an entry: 60 of them make a trail of well over 50.
            for (var version = 2; version <= 61; version++)
                await db.RunAsync(process, new ReviseConcept($"Het college besluit in te stemmen, versie {version}.", null, "Tekstuele verbetering", null), ProcessDatabase.Coordinator);
        }
        await using var app = new DecisionsAppFactory(database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false" });
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, "coordinator;Coordinator");

        var page = await client.GetStringAsync(new Uri($"/processen/{process}", UriKind.Relative));
        var total = int.Parse(TrailCount().Match(page).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(total, Is.GreaterThan(50), "the trail is long");
        Assert.That(Rows(page), Has.Count.EqualTo(50), "the newest 50 are listed");
        Assert.That(Rows(page)[0], Is.EqualTo(total), "newest first");
        Assert.That(page, Does.Contain($"De laatste 50 van {total} vastgelegde handelingen"));
        Assert.That(page, Does.Contain($"Alle {total} handelingen tonen"));
        Assert.That(page, Does.Contain($": {total} regels, hashketen intact"), "the verification counts the whole chain");

        var all = await client.GetStringAsync(new Uri($"/processen/{process}?handelingen=alle", UriKind.Relative));
        Assert.That(Rows(all), Is.EqualTo(Enumerable.Range(1, total).Reverse().ToList()), "every entry, newest first");
        Assert.That(all, Does.Not.Contain("handelingen tonen"));
        Assert.That(all, Does.Contain("handler=Live&amp;stamp=").And.Contain("&amp;handelingen=alle\""), "the live refresh keeps showing all");
    }

    /// <summary>The sequence numbers in the trail's table, in order.</summary>
    private static List<int> Rows(string html)
    {
        var table = html[html.IndexOf("id=\"auditlog\"", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("</table>", StringComparison.Ordinal)];
        return TrailRow().Matches(table).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    [GeneratedRegex(@"Alle vastgelegde handelingen \((\d+)\)")]
    private static partial Regex TrailCount();

    [GeneratedRegex(@"<tr class=""utrecht-table__row"">\s*<td class=""utrecht-table__cell"">(\d+)</td>")]
    private static partial Regex TrailRow();
}
