using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Web.Pages;

namespace Drechtsteden.Decisions.Web.Tests.Pages;

/// <summary>Every refusal a page user can meet is explained in Dutch, not in the API's English.</summary>
public sealed partial class DutchTextTests
{
    /// <summary>Codes only an API client or the engine itself can meet (headers, tokens, definitions, internal guards).</summary>
    private static readonly HashSet<string> ApiOnly = new(StringComparer.Ordinal)
    {
        "format-unknown", "if-match-invalid", "idempotency-key-too-long", "machine-unknown", "name-required", "user-not-found", "user-required",
        "timer-offsets-invalid", "timer-unknown", "definition-not-found", "unknown-trigger", "deadline-not-passed", "meeting-other-college", "offset-invalid", "limit-invalid",
        "scope-unknown", "scope-municipality-required", "page-invalid", "zgw-not-allowed", "besluit-not-found", "zgw-not-configured", "webhook-url-invalid", "webhook-secret-invalid", "webhook-events-invalid",
    };

    [Test]
    public void Every_domain_refusal_a_page_user_can_meet_has_a_Dutch_text()
    {
        var source = Path.Combine(Browser.BrowserApp.RepositoryRoot, "src");
        var codes = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Refusal().Matches(File.ReadAllText(f)).Select(m => m.Groups["code"].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.That(codes, Has.Count.GreaterThan(30), "the scan finds the codes");
        var missing = codes.Where(c => !ApiOnly.Contains(c) && !UiText.KnownErrorCodes.Contains(c)).Order(StringComparer.Ordinal).ToList();
        Assert.That(missing, Is.Empty, "codes without a Dutch text in UiText");
    }

    [Test]
    public void Every_guard_command_and_timer_of_the_shipped_definitions_has_Dutch_words()
    {
        var folder = Path.Combine(Browser.BrowserApp.RepositoryRoot, "workflows");
        var reader = new Drechtsteden.Decisions.Workflows.WorkflowDefinitionReader<Drechtsteden.Decisions.Processes.ProcessContext>(
            File.ReadAllText(Path.Combine(folder, "workflow.schema.json")), Drechtsteden.Decisions.Processes.ProcessBlocks.Create());
        foreach (var file in Directory.GetFiles(folder, "*.workflow.json"))
        {
            var definition = reader.Read(Path.GetFileName(file), File.ReadAllText(file));
            foreach (var machine in new[] { definition.Process, definition.Item })
            {
                foreach (var guard in machine.Transitions.SelectMany(t => t.Guards).Append(definition.Completion.Rule))
                    Assert.That(WorkflowText.KnownGuards, Does.Contain(guard), $"{file}: guard {guard} has no Dutch phrase");
                foreach (var t in machine.Transitions.Where(t => !t.Automatic))
                    Assert.That(WorkflowText.Step(definition, t), Does.Not.Contain(t.Trigger!).And.Not.StartWith("automatisch"), $"{file}: {t.Trigger} in Dutch");
            }
            foreach (var timer in definition.Timers)
                Assert.That(WorkflowText.KnownTimers, Does.Contain(timer.Id), $"{file}: timer {timer.Id} has no Dutch name");
            var diagram = WorkflowText.Mermaid(definition, Drechtsteden.Decisions.Workflows.MachineKind.Process, [definition.Process.InitialState]);
            Assert.That(diagram, Does.Contain($"state \"{definition.Process.States[0].DisplayName ?? definition.Process.States[0].Name}\" as {definition.Process.States[0].Name}"));
            // The diagram is made once per definition; each view marks its own current states, and only those.
            var final = definition.Process.States.First(s => s.Final).Name;
            var again = WorkflowText.Mermaid(definition, Drechtsteden.Decisions.Workflows.MachineKind.Process, [final]);
            Assert.That(again, Does.EndWith($"    class {final} current\n"));
            Assert.That(again, Does.Not.Contain($"class {definition.Process.InitialState} current"), "the marks of an earlier view are not kept");
            Assert.That(again[..again.IndexOf("    class ", StringComparison.Ordinal)], Is.EqualTo(diagram[..diagram.IndexOf("    class ", StringComparison.Ordinal)]));
        }
    }

    [Test]
    public void Escalations_always_go_out_by_mail_whatever_the_preference()
    {
        var user = new Drechtsteden.Decisions.Users.UserAccount("coordinator", "Coördinator", "c@example.org", Role.Coordinator);
        user.SetMailOptOut(["escalation", "reminder", "signal"]);
        Assert.That(Drechtsteden.Decisions.Web.Notifications.NotificationComposer.ByMail("escalation", user), Is.True);
        Assert.That(Drechtsteden.Decisions.Web.Notifications.NotificationComposer.ByMail("alert", user), Is.True);
        Assert.That(Drechtsteden.Decisions.Web.Notifications.NotificationComposer.ByMail("reminder", user), Is.False);
        Assert.That(Drechtsteden.Decisions.Web.Notifications.NotificationComposer.ByMail("risk", user), Is.True, "not opted out");
    }

    [Test]
    public void A_state_change_in_the_trail_reads_in_Dutch()
    {
        var folder = Path.Combine(Browser.BrowserApp.RepositoryRoot, "workflows");
        var reader = new Drechtsteden.Decisions.Workflows.WorkflowDefinitionReader<Drechtsteden.Decisions.Processes.ProcessContext>(
            File.ReadAllText(Path.Combine(folder, "workflow.schema.json")), Drechtsteden.Decisions.Processes.ProcessBlocks.Create());
        var definition = reader.Read("synchronized-college-decision.workflow.json", File.ReadAllText(Path.Combine(folder, "synchronized-college-decision.workflow.json")));
        Assert.That(WorkflowText.StateChange(definition, Drechtsteden.Decisions.Workflows.MachineKind.Process, "Running", "Diverged", "(automatic 10)"),
            Is.EqualTo("Loopt → Afwijkend (automatisch)"));
        Assert.That(WorkflowText.StateChange(definition, Drechtsteden.Decisions.Workflows.MachineKind.Process, "Running", "Synchronized", "(completion)"),
            Is.EqualTo("Loopt → Gelijkluidend besloten (automatisch, als alle colleges gelijkluidend besloten)"));
        Assert.That(WorkflowText.StateChange(definition, Drechtsteden.Decisions.Workflows.MachineKind.Item, "Decided", "Unscheduled", "(automatic 5)"),
            Is.EqualTo("Besloten → Te agenderen (automatisch)"));
    }

    [Test]
    public void A_code_without_a_Dutch_text_falls_back_to_the_sentence_not_to_nothing()
    {
        Assert.That(UiText.Error(DomainException.Invalid("meeting-in-past", "x")), Does.StartWith("Die vergadering"));
        Assert.That(UiText.Error(DomainException.Invalid("something-new", "Something new.")), Is.EqualTo("Something new."));
    }

    [Test]
    public void A_date_deadline_is_shown_as_its_own_day_not_as_the_midnight_after_it()
    {
        var deadline = Drechtsteden.Decisions.Time.Deadline.EndOfDay(new DateOnly(2024, 9, 10));
        Assert.That(UiText.Deadline(deadline.Date, deadline.Instant), Is.EqualTo("dinsdag 10 september 2024"));
        Assert.That(UiText.Deadline(null, new DateTimeOffset(2024, 9, 10, 15, 0, 0, TimeSpan.Zero)), Is.EqualTo("10 september 2024 17:00"));
    }

    // DomainException.Invalid("code", …) and GuardFailure("code", "message", …): the second form has a sentence, NotYet(code) does not.
    [GeneratedRegex("""(?:DomainException\.(?:Invalid|Conflict|Forbidden|NotFound)|new GuardFailure)\("(?<code>[a-z0-9-]+)",\s*\$?"[A-Z]""")]
    private static partial Regex Refusal();
}
