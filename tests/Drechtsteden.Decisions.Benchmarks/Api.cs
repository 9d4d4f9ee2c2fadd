using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drechtsteden.Decisions.Benchmarks;

/// <summary>The app's HTTP API as the benchmark uses it: demo accounts (password "demo"), bearer tokens, JSON.</summary>
internal sealed class Api(string baseUrl) : IDisposable
{
    /// <summary>Tokens per user, minted again after five minutes (they expire; a soak runs longer than they live).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Token, DateTimeOffset At)> _tokens = new(StringComparer.Ordinal);

    public HttpClient Http { get; } = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = new Uri(baseUrl),
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>For the one long request (verifying the whole trail at full size): the same server, minutes to answer.</summary>
    public HttpClient Slow { get; } = new() { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(30) };

    public static string Slug(string name) => name.ToLowerInvariant().Replace(' ', '-');

    public async Task<string> TokenAsync(string user)
    {
        if (_tokens.TryGetValue(user, out var known) && DateTimeOffset.UtcNow - known.At < TimeSpan.FromMinutes(5))
            return known.Token;
        using var response = await Http.PostAsJsonAsync("/api/auth/token", new { userName = user, password = "demo" });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        _tokens[user] = (token, DateTimeOffset.UtcNow);
        return token;
    }

    public async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, string user, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(user));
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return request;
    }

    public async Task<JsonNode> SendAsync(HttpMethod method, string path, string user, object? body = null, bool slow = false)
    {
        using var request = await RequestAsync(method, path, user, body);
        using var response = await (slow ? Slow : Http).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path} as {user}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text.Length == 0 ? "null" : text) ?? new JsonObject();
    }

    public void Dispose()
    {
        Http.Dispose();
        Slow.Dispose();
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
