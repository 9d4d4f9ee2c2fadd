using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Notifications;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;

namespace Drechtsteden.Decisions.Web.Jobs;

public sealed class JobOptions
{
    public const string Section = "Jobs";

    /// <summary>Run a Hangfire server in this host (several hosts share the work through the database).</summary>
    public bool Server { get; set; } = true;

    public int WorkerCount { get; set; } = 4;

    /// <summary>How often Hangfire looks for scheduled jobs that are due; 1 s keeps timers within 2 s of their instant.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public string Schema { get; set; } = "hangfire";
}

public static class JobsExtensions
{
    /// <summary>Hangfire on PostgreSQL (its own schema in our database), the timer jobs and the notification outbox.</summary>
    public static IServiceCollection AddDecisionsJobs(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var options = configuration.GetSection(JobOptions.Section).Get<JobOptions>() ?? new JobOptions();
        services.AddSingleton(options);
        services.AddHangfire(hangfire => hangfire
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(storage => storage.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
            {
                SchemaName = options.Schema,
                // The schema is installed by the migration step, as the owner; the app role only uses it.
                PrepareSchemaIfNecessary = false,
                // A due job is moved to the queue by the schedule poller, then picked up by a worker: both waits
                // add up, so the queue is polled twice as often to keep a timer within 2 s of its instant.
                QueuePollInterval = options.PollInterval / 2,
            }));
        if (options.Server)
        {
            services.AddHangfireServer(server =>
            {
                server.SchedulePollingInterval = options.PollInterval;
                server.WorkerCount = options.WorkerCount;
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
            services.AddHostedService<RecurringJobsRegistration>();
        }
        services.AddScoped<TimerStore>();
        services.AddScoped<TimerJobs>();

        var mail = configuration.GetSection(MailOptions.Section).Get<MailOptions>() ?? new MailOptions();
        services.AddSingleton(mail);
        services.AddSingleton<NotificationComposer>();
        services.AddScoped<Notifier>();
        if (string.IsNullOrWhiteSpace(mail.SmtpHost))
            services.AddSingleton<IMailSender, PickupDirectoryMailSender>();
        else
            services.AddSingleton<IMailSender, SmtpMailSender>();
        services.AddSingleton<OutboxDispatcher>();
        if (options.Server)
            services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }

    /// <summary>The Hangfire dashboard at /hangfire, for administrators and coordinators only.</summary>
    public static IEndpointRouteBuilder MapDecisionsJobs(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new RoleAuthorization(nameof(Role.Admin), nameof(Role.Coordinator))],
            // Coordinators may look, not delete or re-queue: only administrators change jobs.
            IsReadOnlyFunc = context => !context.GetHttpContext().User.IsInRole(nameof(Role.Admin)),
            AppPath = "/",
            DashboardTitle = "Drechtsteden.Decisions – taken",
        });
        return app;
    }

    private sealed class RoleAuthorization(params string[] roles) : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var user = context.GetHttpContext().User;
            return user.Identity?.IsAuthenticated == true && roles.Any(user.IsInRole);
        }
    }
}

/// <summary>
/// Registers the recurring sweeper once the host runs (idempotent: AddOrUpdate), and runs it once right away: timers
/// that fell due while no instance was running fire at start-up, not at the next full minute.
/// </summary>
internal sealed class RecurringJobsRegistration(IRecurringJobManager recurring, IBackgroundJobClient jobs, ILogger<RecurringJobsRegistration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            recurring.AddOrUpdate<TimerJobs>(TimerJobs.SweeperJobId, sweeper => sweeper.SweepAsync(), Cron.Minutely());
            jobs.Enqueue<TimerJobs>(sweeper => sweeper.SweepAsync());
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseError(e))
        {
            logger.LogWarning("The timer sweeper is not registered yet, the database is not available: {Reason}", e.Message);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
