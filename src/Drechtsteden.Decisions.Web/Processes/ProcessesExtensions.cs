using Drechtsteden.Decisions.Web.Agenda;

namespace Drechtsteden.Decisions.Web.Processes;

public static class ProcessesExtensions
{
    /// <summary>The command pipeline, the reads, and the calendar commands that run through the pipeline.</summary>
    public static IServiceCollection AddProcesses(this IServiceCollection services)
    {
        services.AddScoped<CommandPipeline>();
        services.AddScoped<ProcessQueries>();
        services.AddSingleton<ProcessFactsCache>();
        services.AddScoped<MeetingCommands>();
        return services;
    }
}
