using Drechtsteden.Decisions.Agenda;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Regions;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>
/// The host's persistence and command services on a fresh migrated database of their own, with the Drechtsteden
/// region, the shipped workflow definitions and a fake clock.
/// </summary>
public sealed class ProcessDatabase : IAsyncDisposable
{
    public static readonly string[] Codes = ["GM0482", "GM0505", "GM0523", "GM0531", "GM0590", "GM0610", "GM0642"];
    public static readonly Actor Coordinator = new("coordinator", "Regiecoördinator", Role.Coordinator);

    private readonly ServiceProvider _services;

    private ProcessDatabase(ServiceProvider services, string connectionString, FakeTimeProvider clock)
    {
        _services = services;
        ConnectionString = connectionString;
        Clock = clock;
    }

    public string ConnectionString { get; }

    public FakeTimeProvider Clock { get; }

    public static async Task<ProcessDatabase> CreateAsync(string? workflowDirectory = null, string? connectionString = null)
    {
        connectionString ??= await TestPostgres.CreateMigratedDatabaseAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero));
        var services = HostServices.Build(connectionString, clock, workflowDirectory);
        var database = new ProcessDatabase(services, connectionString, clock);
        await database.SeedRegionAsync();
        return database;
    }

    public static Actor Secretary(string code) => new($"secretary-{code}", $"Secretaris {code}", Role.Secretary, code);

    public static Actor College(string code) => new($"college-{code}", $"College {code}", Role.College, code);

    public static Actor Griffier(string code) => new($"griffier-{code}", $"Griffier {code}", Role.Griffier, code);

    /// <summary>Runs work in its own DI scope (its own DbContext), as one request would.</summary>
    public async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = _services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    /// <summary>What the log writer does within a second of every commit: append, sign, and have the test run's witness cosign.</summary>
    public Task<int> AnchorAsync() => InScopeAsync(async sp =>
    {
        var log = sp.GetRequiredService<Drechtsteden.Decisions.Web.Audit.Log.TransparencyLog>();
        await log.AppendAsync();
        return await log.PushAsync();
    });

    public Task<CommandAnswer> StartAsync(string? idempotencyKey = null, string? definitionId = null, string? councilLetter = null) =>
        InScopeAsync(sp => sp.GetRequiredService<CommandPipeline>().StartAsync(
            new StartProcess("Doorontwikkeling bestuurlijke samenwerking Drechtsteden", "2023-0080716",
                "Het college besluit in te stemmen met de doorontwikkeling.", null, new DateOnly(2024, 9, 10), null, Participants: Codes, DefinitionId: definitionId,
                CouncilLetter: councilLetter),
            Coordinator, "drechtsteden", new CommandKey(idempotencyKey, "start", "drechtsteden")));

    /// <summary>The college's secretary adds a meeting at 10:00 Amsterdam time (through the calendar commands, audited).</summary>
    public Task<Meeting> AddMeetingAsync(string code, DateOnly date) =>
        InScopeAsync(sp => sp.GetRequiredService<MeetingCommands>().AddAsync(code, new MeetingChange(Amsterdam.At(date, new TimeOnly(10, 0))), Secretary(code)));

    /// <summary>Runs a command on a process through the pipeline, as the API does.</summary>
    public Task<CommandAnswer> RunAsync(Guid processId, ProcessCommand command, Actor actor, string? idempotencyKey = null, uint? ifMatch = null) =>
        InScopeAsync(sp => sp.GetRequiredService<CommandPipeline>().RunAsync(processId, command, actor,
            new CommandKey(idempotencyKey, command.Command, new { processId, command = (object)command }), ifMatch));

    public Task<CommandAnswer> ScheduleAsync(Guid processId, string code, Guid meetingId, string? idempotencyKey = null, uint? ifMatch = null) =>
        RunAsync(processId, new ScheduleItem(meetingId) { Municipality = code }, Secretary(code), idempotencyKey, ifMatch);

    public Task<CommandAnswer> DecideAsync(Guid processId, string code, RecordDecision decision, string? idempotencyKey = null) =>
        RunAsync(processId, decision with { Municipality = code }, College(code), idempotencyKey);

    public Task<DecisionProcess> LoadAsync(Guid processId) =>
        InScopeAsync(sp => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(
            sp.GetRequiredService<DecisionsDbContext>().ProcessAggregates, p => p.Id == processId));

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private Task<int> SeedRegionAsync() => InScopeAsync(sp =>
    {
        var db = sp.GetRequiredService<DecisionsDbContext>();
        if (db.Regions.Any())
            return Task.FromResult(0);
        string[] names = ["Alblasserdam", "Dordrecht", "Hardinxveld-Giessendam", "Hendrik-Ido-Ambacht", "Papendrecht", "Sliedrecht", "Zwijndrecht"];
        db.Municipalities.AddRange(Codes.Zip(names, (code, name) => new Municipality(code, name)));
        db.Regions.Add(new Region("drechtsteden", "Drechtsteden", Codes));
        db.Users.Add(new UserAccount("coordinator", "Regiecoördinator", "regie@example.org", Role.Coordinator, regionCode: "drechtsteden"));
        foreach (var code in Codes)
        {
            db.Users.Add(new UserAccount($"secretary-{code}", $"Secretaris {code}", $"secretaris.{code}@example.org", Role.Secretary, code));
            db.Users.Add(new UserAccount($"college-{code}", $"College {code}", $"college.{code}@example.org", Role.College, code));
            db.Users.Add(new UserAccount($"griffier-{code}", $"Griffier {code}", $"griffie.{code}@example.org", Role.Griffier, code));
        }
        return db.SaveChangesAsync();
    });
}
