using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Drechtsteden.Decisions.Web.Tests.Faults;

/// <summary>
/// Real host processes on a seeded database (region, users with password "demo"), one signing key for all of them
/// (so a token works on every instance), one mail pickup folder (so every sent message is a file to count).
/// </summary>
public sealed class FaultRig
{
    public const string Password = "demo";
    private static readonly Lock ReportLock = new();

    private FaultRig(TestDatabase database, string mailDirectory)
    {
        Database = database;
        MailDirectory = mailDirectory;
    }

    public TestDatabase Database { get; }
    public string MailDirectory { get; }
    public string SigningKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    /// <summary>Figures every fault test prints, collected for the README's reliability section.</summary>
    public static void Report(string line)
    {
        TestContext.Progress.WriteLine($"RELIABILITY {line}");
        // test.sh prints this file after the totals: the figures of every run, in CI's log too.
        var file = Path.Combine(Browser.BrowserApp.RepositoryRoot, "TestResults", "reliability.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        lock (ReportLock)
            File.AppendAllText(file, $"{line}\n");
    }

    public static async Task<FaultRig> CreateAsync(TestDatabase? database = null)
    {
        database ??= await Jobs.TimerHarness.SeededDatabaseAsync();
        var hasher = new PasswordHasher<UserAccount>();
        await using (var connection = new NpgsqlConnection(database.Superuser))
        {
            await connection.OpenAsync();
            await using var users = new NpgsqlCommand("SELECT id FROM users", connection);
            var ids = new List<string>();
            await using (var reader = await users.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    ids.Add(reader.GetString(0));
            foreach (var id in ids)
            {
                await using var update = new NpgsqlCommand("UPDATE users SET password_hash = $1 WHERE id = $2", connection);
                update.Parameters.Add(new NpgsqlParameter { Value = hasher.HashPassword(null!, Password) });
                update.Parameters.Add(new NpgsqlParameter { Value = id });
                await update.ExecuteNonQueryAsync();
            }
            await using var people = new NpgsqlCommand("""
                INSERT INTO users (id, active, display_name, email, role, region_code, password_hash) VALUES
                  ('auditor', true, 'Controleur', 'controle@example.org', 'Auditor', NULL, $1),
                  ('coordinator', true, 'Regiecoördinator', 'regie@example.org', 'Coordinator', 'drechtsteden', $1)
                ON CONFLICT DO NOTHING
                """, connection);
            people.Parameters.Add(new NpgsqlParameter { Value = hasher.HashPassword(null!, Password) });
            await people.ExecuteNonQueryAsync();
        }
        var mail = Path.Combine(Path.GetTempPath(), $"drechtsteden-fault-mail-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mail);
        return new FaultRig(database, mail);
    }

    public HostProcess StartHost(params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Decisions"] = Database.App,
            ["ConnectionStrings__DecisionsOwner"] = Database.Owner,
            ["Auth__SigningKey"] = SigningKey,
            ["Auth__TokenRequestsPerMinute"] = "10000",
            ["Mail__PickupDirectory"] = MailDirectory,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in extra)
            environment[key] = value;
        return HostProcess.Start(environment);
    }

    /// <summary>An HTTP client for one host, signed in as <paramref name="user"/> with a bearer token.</summary>
    public static async Task<HttpClient> ClientAsync(HostProcess host, string user)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.PostAsJsonAsync(new Uri("/api/auth/token", UriKind.Relative), new { userName = user, password = Password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<long> ScalarAsync(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(Database.Superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<JsonObject> VerifyAuditAsync(HttpClient auditor)
    {
        using var response = await auditor.GetAsync(new Uri("/api/audit/verify", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static HttpRequestMessage StartRequest(string reference, DateTimeOffset? deadlineAt = null, string idempotencyKey = "", params string[] participants)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/processes")
        {
            Content = JsonContent.Create(new
            {
                title = $"Storingsproef {reference}", reference, conceptText = "Het college besluit in te stemmen.",
                deadlineDate = deadlineAt is null ? DateOnly.FromDateTime(DateTime.UtcNow.AddDays(40)) : (DateOnly?)null,
                deadlineAt,
                participants = participants.Length == 0 ? ProcessDatabase.Codes : participants,
            }),
        };
        if (idempotencyKey.Length > 0)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }
}
