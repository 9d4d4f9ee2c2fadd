using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drechtsteden.Decisions.Benchmarks;

/// <summary>The app's HTTP API as the benchmark uses it: demo accounts (password "demo"), bearer tokens, JSON.</summary>
internal sealed class Api(string baseUrl) : IDisposable
{
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public HttpClient Http { get; } = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = new Uri(baseUrl),
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static string Slug(string name) => name.ToLowerInvariant().Replace(' ', '-');

    public async Task<string> TokenAsync(string user)
    {
        if (_tokens.TryGetValue(user, out var token))
            return token;
        using var response = await Http.PostAsJsonAsync("/api/auth/token", new { userName = user, password = "demo" });
        response.EnsureSuccessStatusCode();
        token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        _tokens[user] = token;
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

    public async Task<JsonNode> SendAsync(HttpMethod method, string path, string user, object? body = null)
    {
        using var request = await RequestAsync(method, path, user, body);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path} as {user}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text.Length == 0 ? "null" : text) ?? new JsonObject();
    }

    public void Dispose() => Http.Dispose();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
