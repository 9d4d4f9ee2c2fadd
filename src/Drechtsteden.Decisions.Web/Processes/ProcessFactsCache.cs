using System.Collections.Concurrent;
using Drechtsteden.Decisions.Processes;

namespace Drechtsteden.Decisions.Web.Processes;

/// <summary>
/// What the status rules read of a process (<see cref="ProcessFacts"/>), per process and row version, for the list.
/// A process at one version is immutable: every command raises the process's revision, so its row — and with it the
/// version (xmin) — changes with any change to the process (<see cref="DecisionProcess.Revision"/>). The list reads the
/// versions of its page on every call and takes from here only facts stored under the version it just read; the rest it
/// reads from the store (the items' latest decisions), so a command's change shows on the next read. Nothing here is
/// ever adjusted, only replaced. The facts are read after the version (a later statement, a snapshot at least as new),
/// so an entry is never older than its version says.
/// </summary>
/// <remarks>
/// Bounded: at <see cref="Capacity"/> entries the cache starts over (a list page is 100 processes). An entry lives at
/// most <see cref="Lifetime"/>: a change made past the pipeline — a superuser's edit of a decision row in the database,
/// which leaves the process row as it was — shows in the list within that time (the process resource and page read the
/// store directly; the audit verification reports such an edit).
/// </remarks>
public sealed class ProcessFactsCache(TimeProvider clock)
{
    public const int Capacity = 5_000;
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    private sealed record Entry(uint Version, ProcessFacts Facts, DateTimeOffset StoredAt);

    /// <summary>The facts stored for <paramref name="id"/> at exactly <paramref name="version"/>, if any (and not expired).</summary>
    public bool TryGet(Guid id, uint version, out ProcessFacts facts)
    {
        if (_entries.TryGetValue(id, out var entry) && entry.Version == version && clock.GetUtcNow() - entry.StoredAt < Lifetime)
        {
            facts = entry.Facts;
            return true;
        }
        facts = null!;
        return false;
    }

    public void Store(Guid id, uint version, ProcessFacts facts)
    {
        if (_entries.Count >= Capacity)
            _entries.Clear();
        _entries[id] = new Entry(version, facts, clock.GetUtcNow());
    }
}
