using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>What the menu counts for the signed-in user: unread messages. Never in the way of a page: without a database it is 0.</summary>
public static class MenuCounts
{
    /// <summary>Where a page that read the count with its own reads (<see cref="Read"/>) leaves it for the layout, per request.</summary>
    private static readonly object UnreadKey = new();

    /// <summary>The count as the layout shows it: read by the page in its own round trip (<see cref="Read"/>), or read now.</summary>
    public static async Task<int> UnreadAsync(HttpContext context, DecisionsDbContext db, string userId)
    {
        if (context.Items.TryGetValue(UnreadKey, out var known) && known is (string reader, int count) && reader == userId)
            return count;
        return await UnreadAsync(db, userId, context.RequestAborted);
    }

    public static async Task<int> UnreadAsync(DecisionsDbContext db, string userId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Unread(db, userId, cancellationToken);
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseUnavailable(e))
        {
            return 0;
        }
    }

    /// <summary>
    /// The count as a statement of a page's own read (<see cref="SnapshotRead"/>, the process page's one round trip),
    /// left for the layout in the request. The same rule as <see cref="Unread"/>.
    /// </summary>
    public static SnapshotRead Read(HttpContext context, string userId) => new CountThenKeep(context, userId);

    private sealed class CountThenKeep(HttpContext context, string userId) : SnapshotRead
    {
        private readonly CountRead _count = new("SELECT count(*) FROM outbox_messages WHERE recipient_user_id = $1 AND read_at IS NULL", userId);

        public override void Add(Npgsql.NpgsqlBatch batch) => _count.Add(batch);

        public override async Task ReadAsync(Npgsql.NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            await _count.ReadAsync(reader, cancellationToken);
            context.Items[UnreadKey] = (userId, (int)_count.Value);
        }
    }

    /// <summary>Compiled once: the menu shows the count on every page.</summary>
    private static readonly Func<DecisionsDbContext, string, CancellationToken, Task<int>> Unread =
        EF.CompileAsyncQuery((DecisionsDbContext db, string userId, CancellationToken _) => db.Outbox.Count(m => m.RecipientUserId == userId && m.ReadAt == null));
}
