using System.Net;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Woo;

namespace Drechtsteden.Decisions.Web.Tests.Woo;

/// <summary>
/// Woo (issue 20): per municipality a sitemap with DiWoo records for the Woo-index connector — the college's decision
/// and the raadsinformatiebrief of every published process, the publisher the municipality's TOOI URI — validated
/// against the DiWoo schema (the subset in diwoo-metadata-0.9.8-subset.xsd, written from the standard) and holding
/// nothing of a process that is not published.
/// </summary>
public sealed class WooTests
{
    private const string Letter = "## Wat is de te delen informatie?\n\nDe zeven colleges stemden in.";
    private static readonly DateOnly Sept3 = new(2024, 9, 3);
    private TestDatabase _database = null!;
    private DecisionsAppFactory _app = null!;
    private Guid _published;
    private Guid _unpublished;

    [OneTimeSetUp]
    public async Task Seed()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        await using (var db = await ProcessDatabase.CreateAsync(connectionString: _database.App))
        {
            _published = (await db.StartAsync(idempotencyKey: "published", councilLetter: Letter)).ProcessId;
            _unpublished = (await db.StartAsync(idempotencyKey: "unpublished", councilLetter: Letter)).ProcessId;
            foreach (var code in ProcessDatabase.Codes)
            {
                var meeting = (await db.AddMeetingAsync(code, Sept3)).Id;
                await db.ScheduleAsync(_published, code, meeting);
                await db.ScheduleAsync(_unpublished, code, meeting);
            }
            db.Clock.SetUtcNow(Amsterdam.At(Sept3, new TimeOnly(12, 0)));
            foreach (var code in ProcessDatabase.Codes)
            {
                await db.DecideAsync(_published, code, new RecordDecision(DecisionOutcome.Adopted, 1));
                await db.DecideAsync(_unpublished, code, new RecordDecision(DecisionOutcome.Adopted, 1));
            }
            db.Clock.SetUtcNow(Amsterdam.At(Sept3.AddDays(8), new TimeOnly(9, 0)));
            await db.RunAsync(_published, new Publish(), ProcessDatabase.Coordinator);
        }
        _app = new DecisionsAppFactory(_database.App, new Dictionary<string, string?> { ["Jobs:Server"] = "false", ["App:PublicBaseUrl"] = "https://besluiten.example.org/" });
    }

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private static XmlSchemaSet Schemas()
    {
        var set = new XmlSchemaSet();
        set.Add(null, Path.Combine(AppContext.BaseDirectory, "Woo", "sitemap-0.9.xsd"));
        set.Add(null, Path.Combine(AppContext.BaseDirectory, "Woo", "diwoo-metadata-0.9.8-subset.xsd"));
        set.Compile();
        return set;
    }

    private static List<string> Validate(XDocument document)
    {
        var errors = new List<string>();
        document.Validate(Schemas(), (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }

    [Test]
    public async Task The_sitemap_holds_a_valid_DiWoo_record_for_the_decision_and_the_letter_of_each_published_process_only()
    {
        using var anonymous = _app.CreateClient();
        using var response = await anonymous.GetAsync("/woo/GM0505/sitemap.xml");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/xml"));
        var xml = await response.Content.ReadAsStringAsync();
        var sitemap = XDocument.Parse(xml);
        Assert.That(Validate(sitemap), Is.Empty, xml);

        Assert.That(xml, Does.Not.Contain(_unpublished.ToString()), "nothing of a process before its publication");
        var records = sitemap.Descendants(WooPublication.DiWoo + "DiWoo").ToList();
        Assert.That(records, Has.Count.EqualTo(2), "the college's decision and the raadsinformatiebrief");
        Assert.That(records.Select(r => r.Element(WooPublication.DiWoo + "publisher")!.Attribute("resource")!.Value),
            Is.All.EqualTo("https://identifier.overheid.nl/tooi/id/gemeente/gm0505"));
        Assert.That(records.Select(r => r.Element(WooPublication.DiWoo + "publisher")!.Value), Is.All.EqualTo("gemeente Dordrecht"));
        Assert.That(records.SelectMany(r => r.Descendants(WooPublication.DiWoo + "informatiecategorie")).Select(c => c.Attribute("resource")!.Value),
            Is.EquivalentTo(new[] { WooPublication.DecisionsCategory, WooPublication.CouncilLetterCategory }));
        var decision = records.Single(r => r.Descendants(WooPublication.DiWoo + "informatiecategorie").Single().Attribute("resource")!.Value == WooPublication.DecisionsCategory);
        Assert.That(decision.Element(WooPublication.DiWoo + "creatiedatum")!.Value, Is.EqualTo("2024-09-03"));
        var letter = records.Single(r => r != decision);
        Assert.That(letter.Descendants(WooPublication.DiWoo + "identifier").Select(i => i.Value), Does.Contain("sha256:" + CouncilLetter.BodyHash(Letter)));

        foreach (var loc in sitemap.Descendants(WooPublication.Sitemap + "loc").Select(l => new Uri(l.Value)))
        {
            Assert.That(loc.Host, Is.EqualTo("besluiten.example.org"));
            using var document = await anonymous.GetAsync(loc.AbsolutePath);
            Assert.That(document.StatusCode, Is.EqualTo(HttpStatusCode.OK), loc.ToString());
            var html = await document.Content.ReadAsStringAsync();
            Assert.That(html, Does.Contain("Dordrecht"));
            if (loc.AbsolutePath.EndsWith("raadsinformatiebrief", StringComparison.Ordinal))
                Assert.That(html, Does.Contain(CouncilLetter.BodyHash(Letter)).And.Contain("De zeven colleges stemden in."));
        }
        using (var hidden = await anonymous.GetAsync($"/woo/GM0505/{_unpublished}/raadsinformatiebrief"))
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a letter under embargo");
        using (var hidden = await anonymous.GetAsync($"/woo/GM0505/{_unpublished}/besluit"))
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a decision under embargo");
        using (var elsewhere = await anonymous.GetAsync("/woo/GM9999/sitemap.xml"))
            Assert.That(XDocument.Parse(await elsewhere.Content.ReadAsStringAsync()).Descendants(WooPublication.Sitemap + "url"), Is.Empty);
    }

    [Test]
    public async Task The_schema_check_refuses_a_record_that_breaks_the_standard()
    {
        using var anonymous = _app.CreateClient();
        var sitemap = XDocument.Parse(await anonymous.GetStringAsync("/woo/GM0505/sitemap.xml"));
        var broken = new XDocument(sitemap);
        broken.Descendants(WooPublication.DiWoo + "informatiecategorie").First().SetAttributeValue("resource", "https://identifier.overheid.nl/tooi/def/thes/kern/c_00000000");
        Assert.That(Validate(broken), Is.Not.Empty, "an information category outside the Woo list");
        var missing = new XDocument(sitemap);
        missing.Descendants(WooPublication.DiWoo + "publisher").First().Remove();
        Assert.That(Validate(missing), Is.Not.Empty, "a record without its publisher");
    }
}
