using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Infrastructure;

/// <summary>The host's persistence, workflow, audit, job and command services on a database and a clock of the test's choosing.</summary>
internal static class HostServices
{
    public static ServiceProvider Build(string connectionString, TimeProvider clock, string? workflowDirectory = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workflows:Directory"] = workflowDirectory ?? Path.Combine(AppContext.BaseDirectory, "workflows"),
            // Hangfire's client (timers are scheduled for real), but no server: the tests fire timers by hand.
            ["Jobs:Server"] = "false",
        }).AddInMemoryCollection(TestWitness.Settings).Build();
        return new ServiceCollection()
            .AddSingleton(clock)
            .AddLogging()
            .AddDbContext<DecisionsDbContext>(db => db.UseDecisionsDatabase(connectionString))
            .AddWorkflows(configuration)
            .AddAuditTrail(configuration)
            .AddDecisionsJobs(configuration, connectionString)
            .AddProcesses()
            .BuildServiceProvider();
    }
}

/// <summary>Plain SQL for the tests' checks: parameters by position, rows as arrays of values.</summary>
internal static class Rows
{
    public static void Bind(NpgsqlParameterCollection target, object[] values)
    {
        foreach (var value in values)
            target.Add(new NpgsqlParameter { Value = value });
    }

    /// <summary>The rows of the reader's current result.</summary>
    public static async Task<List<object?[]>> ReadAsync(NpgsqlDataReader reader)
    {
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }
}
