using System.Text.Json;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Drechtsteden.Decisions.Web.Tests.Api;

/// <summary>
/// The list and the process resource are written by source-generated code (<see cref="ApiJson"/>); what it writes must be
/// exactly what the API's configured options write for the same value — for a process with every kind of field filled:
/// decisions of each kind, a diff, a deferral, statuses with reasons, a coordinator's next step, a non-ASCII text.
/// </summary>
public sealed class ApiJsonTests
{
    [Test]
    public async Task The_generated_writer_writes_what_the_configured_options_write()
    {
        await using var db = await ProcessDatabase.CreateAsync();
        var process = (await db.StartAsync()).ProcessId;
        var sept3 = new DateOnly(2024, 9, 3);
        foreach (var code in new[] { "GM0505", "GM0590", "GM0482" })
            await db.ScheduleAsync(process, code, (await db.AddMeetingAsync(code, sept3)).Id);
        db.Clock.SetUtcNow(Amsterdam.At(sept3, new TimeOnly(12, 0)));
        await db.DecideAsync(process, "GM0505", new RecordDecision(DecisionOutcome.Adopted, 1));
        await db.DecideAsync(process, "GM0590", new RecordDecision(DecisionOutcome.AdoptedWithAmendments, 1,
            Text: "Het college besluit in te stemmen met de doorontwikkeling, met één wijziging (coöperatie).", Reason: "Amendement \"Ïjsselmonde\" <aangenomen> & verwerkt."));
        await db.DecideAsync(process, "GM0482", new RecordDecision(DecisionOutcome.Deferred, 1, Reason: "Aangehouden tot de volgende vergadering."));

        var services = new ServiceCollection().AddDecisionsApi().BuildServiceProvider();
        var configured = services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var (list, resource) = await db.InScopeAsync(async sp =>
        {
            var queries = sp.GetRequiredService<ProcessQueries>();
            return (await queries.ListAsync(ProcessDatabase.Coordinator, "drechtsteden"), (await queries.GetAsync(process, ProcessDatabase.Coordinator, "drechtsteden"))!);
        });

        Assert.That(resource.Items.Select(i => i.Decision?.Outcome), Has.Member(DecisionOutcome.Deferred).And.Member(DecisionOutcome.AdoptedWithAmendments), "the test's own data");
        Assert.That(ApiJson.Default.ListProcessSummary.SerializeHandler, Is.Not.Null, "the list has a generated writer");
        Assert.That(ApiJson.Default.ProcessDto.SerializeHandler, Is.Not.Null, "the resource has a generated writer");
        Assert.That(list.Single().Attention, Is.Not.Empty, "the test's own data: colleges that need attention");
        string Generated<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            ApiJson.Write(buffer, value, info, configured.Encoder);
            return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        var generatedList = Generated(list, ApiJson.Default.ListProcessSummary);
        Assert.That(generatedList, Is.EqualTo(JsonSerializer.Serialize(list, configured)));
        var generatedResource = Generated(resource, ApiJson.Default.ProcessDto);
        Assert.That(generatedResource, Is.EqualTo(JsonSerializer.Serialize(resource, configured)));
        Assert.That(generatedResource, Does.Contain("\"outcome\":\"AdoptedWithAmendments\""), "enums by name, properties in camelCase");
    }
}
