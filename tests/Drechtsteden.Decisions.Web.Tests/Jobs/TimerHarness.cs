using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Agenda;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Drechtsteden.Decisions.Web.Tests.Jobs;

/// <summary>Real hosts with a real Hangfire server on a test database, real time, and short deadlines.</summary>
internal static class TimerHarness
{
    public static readonly Actor Coordinator = ProcessDatabase.Coordinator;

    /// <summary>A migrated database with the region and its users.</summary>
    public static async Task<TestDatabase> SeededDatabaseAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var seed = await ProcessDatabase.CreateAsync(connectionString: database.App);
        return database;
    }

    public static async Task<T> InScopeAsync<T>(DecisionsAppFactory app, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public static Task<Guid> StartAsync(DecisionsAppFactory app, DateTimeOffset deadline, params string[] participants) =>
        InScopeAsync(app, async sp => (await sp.GetRequiredService<CommandPipeline>().StartAsync(
            new StartProcess("Korte termijn", $"T-{Guid.NewGuid():N}"[..12], "Het college besluit in te stemmen.", null, null, deadline,
                Participants: participants.Length == 0 ? ["GM0505"] : participants),
            Coordinator, "drechtsteden", new CommandKey(null, "start", deadline))).ProcessId);

    public static Task<CommandAnswer> RunAsync(DecisionsAppFactory app, Guid processId, Actor actor, ProcessCommand command) =>
        InScopeAsync(app, sp => sp.GetRequiredService<CommandPipeline>().RunAsync(processId, command, actor, new CommandKey(null, command.Command, processId)));

    public static Task<List<ProcessTimer>> TimersAsync(DecisionsAppFactory app, Guid processId) =>
        InScopeAsync(app, sp => sp.GetRequiredService<DecisionsDbContext>().Timers.AsNoTracking().Where(t => t.ProcessId == processId).ToListAsync());

    public static Task<List<TimerFiring>> FiringsAsync(DecisionsAppFactory app, Guid processId) =>
        InScopeAsync(app, sp =>
        {
            var db = sp.GetRequiredService<DecisionsDbContext>();
            return db.TimerFirings.AsNoTracking().Where(f => db.Timers.Any(t => t.Id == f.TimerId && t.ProcessId == processId)).ToListAsync();
        });

    /// <summary>
    /// The escalations sent (for one process). Risk alerts are left out: the minutely sweeper may send one for these
    /// processes, whose colleges have no meetings, whenever a minute turns.
    /// </summary>
    public static Task<List<OutboxMessage>> MessagesAsync(DecisionsAppFactory app, Guid? processId = null) =>
        InScopeAsync(app, sp => sp.GetRequiredService<DecisionsDbContext>().Outbox.AsNoTracking()
            .Where(m => m.Kind == "escalation" && (processId == null || m.ProcessId == processId)).ToListAsync());

    public static Task<string> ProcessStateAsync(DecisionsAppFactory app, Guid processId) =>
        InScopeAsync(app, sp => sp.GetRequiredService<DecisionsDbContext>().Processes.AsNoTracking().Where(p => p.Id == processId).Select(p => p.State).FirstAsync());

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }
        Assert.Fail($"Not within {timeout}: {what}");
    }

    public static Task<Drechtsteden.Decisions.Agenda.Meeting> AddMeetingAsync(DecisionsAppFactory app, string code, DateTimeOffset startsAt) =>
        InScopeAsync(app, sp => sp.GetRequiredService<MeetingCommands>().AddAsync(code, new Drechtsteden.Decisions.Agenda.MeetingChange(startsAt), ProcessDatabase.Secretary(code)));

    public static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public static DateOnly Today => Amsterdam.DateOf(DateTimeOffset.UtcNow);
}
