using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Input;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Drechtsteden.Decisions.Web.Tests.Processes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>
/// Limits from one source: every text field of every command, read from its declared limit, takes its longest value
/// and refuses one more character with 400 naming the field — through the API, on PostgreSQL. A new field or column
/// whose limits disagree fails here, not in production with a 500.
/// </summary>
public sealed class FieldLimitTests
{
    private const string Dordrecht = "GM0505";

    private static readonly Type[] Commands =
        [typeof(StartProcess), typeof(RecordDecision), typeof(ReviseConcept), typeof(ExtendDeadline), typeof(MeetingChange), typeof(CancelProcess)];

    private EdgeApp _app = null!;

    [SetUp]
    public async Task Host() => _app = await EdgeApp.StartAsync(new DateTimeOffset(2027, 3, 1, 8, 0, 0, TimeSpan.Zero));

    [TearDown]
    public async Task Stop() => await _app.DisposeAsync();

    private static IEnumerable<(PropertyInfo Property, int Limit)> LimitedFields(Type command) =>
        command.GetProperties().Select(p => (p, p.GetCustomAttribute<StringLengthAttribute>()?.MaximumLength ?? 0)).Where(f => f.Item2 > 0);

    private static string JsonName(PropertyInfo property) => JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    /// <summary>A value of exactly <paramref name="length"/> characters that is otherwise valid for the field.</summary>
    private static string ValueOf(PropertyInfo property, int length) => property.GetCustomAttribute<HttpUrlAttribute>() is not null
        ? "https://example.org/" + new string('a', length - "https://example.org/".Length)
        : string.Concat(Enumerable.Repeat("Tekst ", length / 6 + 1))[..length].TrimEnd().PadRight(length, 'x');

    [Test]
    public void Every_command_text_field_has_a_limit_and_every_limited_column_matches_one()
    {
        foreach (var command in Commands)
        {
            var unlimited = command.GetProperties().Where(p => p.PropertyType == typeof(string) && p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is null
                && p.GetCustomAttribute<StringLengthAttribute>() is null).Select(p => p.Name).ToList();
            Assert.That(unlimited, Is.Empty, $"{command.Name}: text fields without a declared limit");
        }
        using var db = TestPostgres.CreateContext(_app.Database.App);
        var declared = Commands.SelectMany(LimitedFields).Select(f => f.Limit).ToHashSet();
        var userText = new (Type Entity, string Property)[]
        {
            (typeof(DecisionProcess), nameof(DecisionProcess.Title)), (typeof(DecisionProcess), nameof(DecisionProcess.Reference)),
            (typeof(DecisionProcess), nameof(DecisionProcess.CancellationReason)), (typeof(ConceptVersion), nameof(ConceptVersion.Text)),
            (typeof(ConceptVersion), nameof(ConceptVersion.DocumentUrl)), (typeof(ConceptVersion), nameof(ConceptVersion.Note)),
            (typeof(Decision), nameof(Decision.Text)), (typeof(Decision), nameof(Decision.Reason)), (typeof(DeadlineChange), nameof(DeadlineChange.Reason)),
            (typeof(Meeting), nameof(Meeting.Note)),
        };
        foreach (var (entity, property) in userText)
        {
            var column = db.Model.FindEntityType(entity)!.FindProperty(property)!.GetMaxLength();
            Assert.That(column, Is.Not.Null.And.AnyOf(declared.Cast<int?>().ToArray()), $"{entity.Name}.{property}: its column is limited by one of the command limits");
        }
    }

    [Test]
    public async Task Every_text_field_takes_its_longest_value_and_refuses_one_character_more_with_400_naming_it()
    {
        var process = await _app.StartProcessAsync(new
        {
            title = "Regionale woonvisie", reference = "2027-0101", conceptText = "Het college stelt de woonvisie vast.",
            deadlineDate = new DateOnly(2027, 4, 27), participants = new[] { Dordrecht },
        });
        var meeting = await _app.AddMeetingAsync(Dordrecht, _app.Clock.GetUtcNow().AddDays(1));
        using (var secretary = _app.Secretary(Dordrecht))
            (await secretary.PostAsJsonAsync($"/api/processes/{process}/items/{Dordrecht}/schedule", new { meetingId = meeting })).EnsureSuccessStatusCode();
        _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddDays(2));

        var requests = new Dictionary<Type, (string User, string Path, JsonObject Body)>
        {
            [typeof(StartProcess)] = ("coordinator;Coordinator", "/api/processes",
                new JsonObject { ["deadlineDate"] = "2027-06-01", ["participants"] = new JsonArray(Dordrecht), ["region"] = null, ["definitionId"] = null }),
            [typeof(RecordDecision)] = ($"college-{Dordrecht};College;{Dordrecht}", $"/api/processes/{process}/items/{Dordrecht}/decision",
                new JsonObject { ["outcome"] = "Deferred", ["conceptVersion"] = 1 }),
            [typeof(ReviseConcept)] = ("coordinator;Coordinator", $"/api/processes/{process}/concepts", []),
            [typeof(ExtendDeadline)] = ("coordinator;Coordinator", $"/api/processes/{process}/deadline", new JsonObject { ["date"] = "2027-05-04" }),
            [typeof(CancelProcess)] = ("coordinator;Coordinator", $"/api/processes/{process}/cancel", []),
            [typeof(MeetingChange)] = ($"secretary-{Dordrecht};Secretary;{Dordrecht}", $"/api/municipalities/{Dordrecht}/meetings",
                new JsonObject { ["startsAt"] = _app.Clock.GetUtcNow().AddDays(9).ToString("O") }),
        };
        foreach (var command in Commands)
        {
            var (user, path, template) = requests[command];
            var fields = LimitedFields(command).Where(f => f.Property.Name is not ("Region" or "DefinitionId")).ToList();
            Assert.That(fields, Is.Not.Empty, command.Name);
            foreach (var (property, limit) in fields)
            {
                var tooLong = template.DeepClone().AsObject();
                foreach (var (other, otherLimit) in fields)
                    tooLong[JsonName(other)] = ValueOf(other, other == property ? otherLimit + 1 : Math.Min(otherLimit, 40));
                using var refused = await SendAsync(user, path, tooLong);
                var text = await refused.Content.ReadAsStringAsync();
                Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), $"{command.Name}.{property.Name} at {limit + 1}: {text}");
                Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(JsonName(property), out _), Is.True, text);
            }
            // Every field at its longest at once: the database takes it (a command's own rules may still say no, never a 5xx).
            var longest = template.DeepClone().AsObject();
            foreach (var (property, limit) in fields)
                longest[JsonName(property)] = ValueOf(property, limit);
            using var accepted = await SendAsync(user, path, longest);
            Assert.That((int)accepted.StatusCode, Is.LessThan(300), $"{command.Name} with every field at its limit: {await accepted.Content.ReadAsStringAsync()}");
        }
        await using var scope = _app.App.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<DecisionsDbContext>().Processes.AsNoTracking().SingleAsync(p => p.Id == process);
        Assert.That(stored.CancellationReason, Has.Length.EqualTo(Limits.Reason), "stored whole");
    }

    private async Task<HttpResponseMessage> SendAsync(string user, string path, JsonObject body)
    {
        using var client = _app.As(user);
        return await client.PostAsJsonAsync(path, body);
    }
}
