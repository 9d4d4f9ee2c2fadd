using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Tests.Support;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Workflows;

namespace Drechtsteden.Decisions.Tests.Processes;

/// <summary>
/// After the decision (PRODUCT.md, step 8): every council gets the same raadsinformatiebrief, each griffier confirms it
/// was placed before the council, and the process ends as "Raden geïnformeerd" when the last one did.
/// </summary>
public sealed class CouncilsStepTests
{
    private const string Dordrecht = "GM0505";
    private const string Papendrecht = "GM0590";
    private static readonly DateOnly PublishedOn = new(2024, 9, 11);

    private Scenario _s = null!;

    [SetUp]
    public void NewScenario() => _s = new Scenario();

    private static DomainException Refused(Action command) => Assert.Throws<DomainException>(() => command())!;

    /// <summary>All adopt on 3 September; published on 11 September at 09:00.</summary>
    private DecisionProcess Published(string? letter = "## Wat is de te delen informatie?\n\nDe colleges stemden in.")
    {
        var process = _s.Start(councilLetter: letter);
        _s.AllAdopt(process);
        _s.AdvanceTo(Amsterdam.At(PublishedOn, new TimeOnly(9, 0)));
        _s.Workflow.Publish(process, null, Scenario.Coordinator, _s.Now);
        return process;
    }

    [Test]
    public void The_process_ends_as_councils_informed_when_the_last_griffier_confirms_and_not_before()
    {
        var process = Published();
        Assert.That(process.State, Is.EqualTo("Published"));
        _s.AdvanceTo(Amsterdam.At(PublishedOn.AddDays(2), new TimeOnly(11, 0)));

        var codes = process.Items.Select(i => i.MunicipalityCode).ToList();
        foreach (var code in codes.SkipLast(1))
        {
            var outcome = _s.Workflow.ConfirmCouncil(process, code, PublishedOn.AddDays(1), Scenario.Griffier(code), _s.Now, "https://ris.example.org/brief/1");
            Assert.That(outcome.Changes[0].Audit, Is.EqualTo("council.informed"));
            Assert.That(process.State, Is.EqualTo("Published"), $"{code} confirmed, but not every council is informed yet");
        }
        Assert.That(process.Item(codes[0]).State, Is.EqualTo("CouncilInformed"));
        Assert.That(process.Item(codes[0]).CouncilInformedOn, Is.EqualTo(PublishedOn.AddDays(1)));
        Assert.That(process.Item(codes[0]).CouncilLink, Is.EqualTo("https://ris.example.org/brief/1"));

        var last = _s.Workflow.ConfirmCouncil(process, codes[^1], PublishedOn.AddDays(2), Scenario.Griffier(codes[^1]), _s.Now);

        Assert.That(process.State, Is.EqualTo("CouncilsInformed"));
        Assert.That(last.Changes.Select(c => c.To), Does.Contain("CouncilsInformed"));
        Assert.That(last.Notices.Select(n => (n.Notification, n.Recipient)), Does.Contain(("councils-informed", Role.Coordinator)));
        Assert.That(_s.Workflow.DefinitionOf(process).Process.IsFinal(process.State), Is.True);
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, codes[0], PublishedOn.AddDays(2), Scenario.Griffier(codes[0]), _s.Now)).Code, Is.EqualTo("process-closed"));
    }

    [Test]
    public void Only_the_griffier_of_the_municipality_confirms_and_only_after_the_publication()
    {
        var process = _s.Start(councilLetter: "Brief");
        _s.AllAdopt(process);
        var day = Amsterdam.DateOf(_s.Now);
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, day, Scenario.Griffier(Dordrecht), _s.Now)).Code, Is.EqualTo("not-published"),
            "synchronized, but the decisions are still under embargo");
        _s.Workflow.Publish(process, _s.Now.AddDays(1), Scenario.Coordinator, _s.Now);
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, day, Scenario.Griffier(Dordrecht), _s.Now)).Code, Is.EqualTo("not-published"),
            "a planned publication is still under embargo");
        Assert.That(_s.Workflow.PermittedCommands(process, Dordrecht, Scenario.Griffier(Dordrecht), _s.Now), Does.Not.Contain(WorkflowCommands.ConfirmCouncil));

        _s.AdvanceTo(process.PublicationAt!.Value);
        _s.Workflow.FireTimerTrigger(process, null, "Release", _s.Now);
        Assert.That(process.State, Is.EqualTo("Published"));
        var today = Amsterdam.DateOf(_s.Now);

        var other = Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, today, Scenario.Griffier(Papendrecht), _s.Now));
        Assert.That((other.Kind, other.Code), Is.EqualTo((DomainErrorKind.Forbidden, "other-municipality")));
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, today, Scenario.Secretary(Dordrecht), _s.Now)).Kind, Is.EqualTo(DomainErrorKind.Forbidden));
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, today, Scenario.Coordinator, _s.Now)).Kind, Is.EqualTo(DomainErrorKind.Forbidden));
        Assert.That(_s.Workflow.PermittedCommands(process, Dordrecht, Scenario.Griffier(Dordrecht), _s.Now), Is.EqualTo(new[] { WorkflowCommands.ConfirmCouncil }));
        Assert.That(_s.Workflow.PermittedCommands(process, Dordrecht, Scenario.Griffier(Papendrecht), _s.Now), Is.Empty);

        _s.Workflow.ConfirmCouncil(process, Dordrecht, today, Scenario.Griffier(Dordrecht), _s.Now);
        Assert.That(process.Item(Dordrecht).CouncilConfirmedBy, Is.EqualTo(Scenario.Griffier(Dordrecht).UserId));
    }

    [Test]
    public void The_date_is_required_not_in_the_future_and_not_before_the_publication()
    {
        var process = Published();
        var griffier = Scenario.Griffier(Dordrecht);
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, null, griffier, _s.Now)).Code, Is.EqualTo("council-date-required"));
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, PublishedOn.AddDays(1), griffier, _s.Now)).Code, Is.EqualTo("council-date-in-future"));
        Assert.That(Refused(() => _s.Workflow.ConfirmCouncil(process, Dordrecht, PublishedOn.AddDays(-1), griffier, _s.Now)).Code, Is.EqualTo("council-date-before-publication"));
        Assert.That(process.Item(Dordrecht).CouncilInformedOn, Is.Null, "a refused confirmation changes nothing");

        _s.Workflow.ConfirmCouncil(process, Dordrecht, PublishedOn, griffier, _s.Now);
        _s.AdvanceTo(_s.Now.AddDays(3));
        var correction = _s.Workflow.ConfirmCouncil(process, Dordrecht, PublishedOn.AddDays(2), griffier, _s.Now, "https://ris.example.org/2");
        Assert.That(correction.Changes[0].Audit, Is.EqualTo("council.corrected"));
        Assert.That(process.Item(Dordrecht).CouncilInformedOn, Is.EqualTo(PublishedOn.AddDays(2)));
    }

    [Test]
    public void Publication_tells_every_griffier_and_reminders_follow_until_their_council_is_informed()
    {
        var process = _s.Start(councilLetter: "Brief");
        _s.AllAdopt(process);
        _s.AdvanceTo(Amsterdam.At(PublishedOn, new TimeOnly(9, 0)));
        var published = _s.Workflow.Publish(process, null, Scenario.Coordinator, _s.Now);

        Assert.That(published.Notices.Where(n => n.Notification == "council-letter-ready").Select(n => (n.Recipient, n.Municipality)),
            Is.EquivalentTo(Scenario.Codes.Select(c => (Role.Griffier, (string?)c))));
        var reminders = _s.Workflow.DesiredTimers(process).Where(t => t.TimerId == "council-reminder").ToList();
        Assert.That(reminders.Select(t => t.MunicipalityCode).Distinct(), Is.EquivalentTo(Scenario.Codes));
        // A week and two weeks after the publication, 09:00 Amsterdam (18 and 25 September 2024 are working days).
        Assert.That(reminders.Select(t => t.DueAt).Distinct(), Is.EquivalentTo(new[]
        {
            Amsterdam.At(new DateOnly(2024, 9, 18), new TimeOnly(9, 0)), Amsterdam.At(new DateOnly(2024, 9, 25), new TimeOnly(9, 0)),
        }));

        _s.Workflow.ConfirmCouncil(process, Dordrecht, PublishedOn, Scenario.Griffier(Dordrecht), _s.Now);
        Assert.That(_s.Workflow.DesiredTimers(process).Where(t => t.TimerId == "council-reminder").Select(t => t.MunicipalityCode),
            Does.Not.Contain(Dordrecht).And.Contain(Papendrecht));

        foreach (var code in Scenario.Codes.Where(c => c != Dordrecht))
            _s.Workflow.ConfirmCouncil(process, code, PublishedOn, Scenario.Griffier(code), _s.Now);
        Assert.That(_s.Workflow.DesiredTimers(process), Is.Empty, "every council informed: nothing left to remind");
    }

    [Test]
    public void After_the_publication_the_lights_follow_the_councils_not_the_deadline()
    {
        var process = Published();
        var definition = _s.Workflow.DefinitionOf(process);
        _s.AdvanceTo(Amsterdam.At(PublishedOn.AddDays(1), new TimeOnly(12, 0)));
        _s.Workflow.ConfirmCouncil(process, Dordrecht, PublishedOn.AddDays(1), Scenario.Griffier(Dordrecht), _s.Now);

        var status = ProcessStatusRules.Of(definition, process, new Dictionary<string, IReadOnlyList<DateTimeOffset>>(), _s.Now);
        Assert.That(status.Light, Is.EqualTo(StatusLight.OnTrack), "the deadline of 10 September has passed, but the process is published");
        Assert.That(status.Of(Dordrecht).Reason, Is.EqualTo(ProcessStatusRules.CouncilInformed));
        Assert.That(status.Of(Papendrecht).Reason, Is.EqualTo(ProcessStatusRules.CouncilToInform));
        Assert.That(status.Next!.Text, Is.EqualTo("afwachten: 1 van 7 raden geïnformeerd"));

        var late = ProcessStatusRules.Of(definition, process, new Dictionary<string, IReadOnlyList<DateTimeOffset>>(),
            process.PublicationAt!.Value.AddDays(ProcessStatusRules.DaysToInformCouncil));
        Assert.That(late.Light, Is.EqualTo(StatusLight.AtRisk));
        Assert.That(late.Of(Papendrecht).Reason, Is.EqualTo(ProcessStatusRules.CouncilLate));
        Assert.That(late.Of(Dordrecht).Light, Is.EqualTo(StatusLight.OnTrack));
        Assert.That(late.Next!.Code, Is.EqualTo("chase-councils"));
    }

    [Test]
    public void Every_council_gets_the_same_body_with_its_own_header_and_the_same_hash()
    {
        var process = Published("## Wat is de te delen informatie?\r\n\r\nDe zeven colleges stemden in.  \r\n");
        var copies = process.Items.Select(i => CouncilLetter.CopyFor(process, i.MunicipalityCode, $"Gemeente {i.MunicipalityCode}", published: true)!).ToList();

        Assert.That(copies.Select(c => c.BodyHash).Distinct().Count(), Is.EqualTo(1));
        Assert.That(copies[0].BodyHash, Is.EqualTo(CouncilLetter.BodyHash("## Wat is de te delen informatie?\n\nDe zeven colleges stemden in.")),
            "line endings and trailing spaces do not change the letter");
        Assert.That(copies.Select(c => c.Footer), Is.All.Contains(copies[0].BodyHash));
        Assert.That(copies.Select(c => c.Header.First(h => h.Label == "Aan").Value).Distinct().Count(), Is.EqualTo(7), "each copy is addressed to its own council");
        Assert.That(copies.Select(c => c.Date), Is.All.EqualTo(PublishedOn));
        Assert.That(copies.First(c => c.MunicipalityCode == Dordrecht).CollegeDecidedOn, Is.EqualTo(new DateOnly(2024, 9, 3)));
        Assert.That(CouncilLetter.CopyFor(process, Dordrecht, "Dordrecht", published: false)!.IsDraft, Is.True);
    }

    [Test]
    public void A_revision_keeps_the_letter_unless_it_gives_a_new_one_and_the_template_has_the_seeds_headings()
    {
        var process = _s.Start(councilLetter: "Eerste brief");
        var first = CouncilLetter.BodyHash("Eerste brief");
        _s.Workflow.ReviseConcept(process, "Nieuwe tekst.", null, "zonder brief", Scenario.Coordinator, _s.Now);
        Assert.That(process.CurrentConcept.CouncilLetter, Is.EqualTo("Eerste brief"));
        _s.Workflow.Execute(process, new ReviseConcept("Derde tekst.", CouncilLetter: "Tweede brief"), Scenario.Coordinator, _s.Now);
        Assert.That(process.CurrentConcept.CouncilLetter, Is.EqualTo("Tweede brief"));
        Assert.That(process.Concepts[0].CouncilLetter, Is.EqualTo("Eerste brief"), "each version keeps its own letter");
        Assert.That(CouncilLetter.BodyHash(process.CurrentConcept.CouncilLetter!), Is.Not.EqualTo(first));

        Assert.That(CouncilLetter.Headings, Has.Count.EqualTo(6));
        Assert.That(CouncilLetter.Headings.Select(h => CouncilLetter.Template.Contains("## " + h, StringComparison.Ordinal)), Is.All.True);
        Assert.That(CouncilLetter.CopyFor(_s.Start(), Dordrecht, "Dordrecht", published: true), Is.Null, "no letter given, no copy");
    }
}
