using Drechtsteden.Decisions.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Drechtsteden.Decisions.Web.Pages;

/// <summary>What the menu counts for the signed-in user: unread messages. Never in the way of a page: without a database it is 0.</summary>
public static class MenuCounts
{
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

    /// <summary>Compiled once: the menu shows the count on every page.</summary>
    private static readonly Func<DecisionsDbContext, string, CancellationToken, Task<int>> Unread =
        EF.CompileAsyncQuery((DecisionsDbContext db, string userId, CancellationToken _) => db.Outbox.Count(m => m.RecipientUserId == userId && m.ReadAt == null));
}
