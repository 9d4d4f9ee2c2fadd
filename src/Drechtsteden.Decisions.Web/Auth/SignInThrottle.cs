using System.Collections.Concurrent;

namespace Drechtsteden.Decisions.Web.Auth;

/// <summary>
/// Failed sign-ins per client address: after <see cref="AuthOptions.SignInFailuresPerMinute"/> failures within a
/// minute, that address may not try again until the minute is over — with a right password neither, or the limit would
/// not stop guessing. Successful sign-ins do not count: a whole office behind one address signs in at nine o'clock.
/// </summary>
public sealed class SignInThrottle(AuthOptions options, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Start, int Failures)> _failures = new(StringComparer.Ordinal);

    public bool IsBlocked(string address) =>
        _failures.TryGetValue(address, out var entry) && clock.GetUtcNow() - entry.Start < Window && entry.Failures >= options.SignInFailuresPerMinute;

    public void Failed(string address)
    {
        var now = clock.GetUtcNow();
        _failures.AddOrUpdate(address, _ => (now, 1), (_, entry) => now - entry.Start >= Window ? (now, 1) : (entry.Start, entry.Failures + 1));
        if (_failures.Count > 10_000)
        {
            foreach (var (key, entry) in _failures)
            {
                if (now - entry.Start >= Window)
                    _failures.TryRemove(key, out _);
            }
        }
    }
}
