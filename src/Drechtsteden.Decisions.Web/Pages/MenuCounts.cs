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
            return await db.Outbox.CountAsync(m => m.RecipientUserId == userId && m.ReadAt == null, cancellationToken);
        }
        catch (Exception e) when (DatabaseExtensions.IsDatabaseUnavailable(e))
        {
            return 0;
        }
    }
}
