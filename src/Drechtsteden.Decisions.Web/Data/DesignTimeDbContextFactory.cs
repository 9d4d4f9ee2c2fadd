using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Drechtsteden.Decisions.Web.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the host (and its embedded server).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<DecisionsDbContext>
{
    public DecisionsDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<DecisionsDbContext>();
        options.UseDecisionsDatabase("Host=127.0.0.1;Database=decisions");
        return new DecisionsDbContext(options.Options);
    }
}
