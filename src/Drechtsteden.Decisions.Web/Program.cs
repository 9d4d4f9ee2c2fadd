using Drechtsteden.Decisions.Web;
using Drechtsteden.Decisions.Web.Api;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Cli;
using Drechtsteden.Decisions.Web.Councils;
using Drechtsteden.Decisions.Web.Data;
using Drechtsteden.Decisions.Web.Health;
using Drechtsteden.Decisions.Web.Jobs;
using Drechtsteden.Decisions.Web.Notifications;
using Drechtsteden.Decisions.Web.Pages;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Web.Webhooks;
using Drechtsteden.Decisions.Web.Woo;
using Drechtsteden.Decisions.Web.Workflows;
using Drechtsteden.Decisions.Web.Zgw;

// Verbs that must not touch the app's database or secrets run before the app is built.
if (args.FirstOrDefault() == Drechtsteden.Decisions.Web.Audit.Log.WitnessHost.Verb)
    return await Drechtsteden.Decisions.Web.Audit.Log.WitnessHost.RunAsync(args);
if (args.FirstOrDefault() == "new-key")
    return Drechtsteden.Decisions.Web.Audit.Log.WitnessHost.NewKey(args);
if (args.FirstOrDefault() == Drechtsteden.Decisions.Web.Audit.ExportVerifier.Verb)
    return await Drechtsteden.Decisions.Web.Audit.ExportVerifier.RunAsync(args);

try
{
    var builder = WebApplication.CreateBuilder(RunDefaults.Options(args));
    RunDefaults.UseDefaultUrl(builder);
    builder.AddDecisionsObservability();
    await using var embeddedDatabase = await builder.AddDecisionsDatabaseAsync(verb: CommandLine.IsVerb(args));
    builder.Services.AddDecisionsHealth();
    builder.Services.AddWorkflows(builder.Configuration);
    builder.Services.AddAuditTrail(builder.Configuration);
    builder.Services.AddDecisionsJobs(builder.Configuration, builder.Configuration.GetConnectionString(DatabaseExtensions.ConnectionName)!);
    builder.Services.AddProcesses();
    builder.Services.AddCouncilLetters();
    builder.Services.AddZgw();
    builder.Services.AddWebhooks(builder.Configuration);
    builder.Services.AddWoo();
    builder.Services.AddDecisionsAuth(builder.Configuration, builder.Environment);
    builder.Services.AddDecisionsApi();
    builder.Services.AddSignIn();
    builder.Services.AddPageDelivery();
    builder.Services.AddRazorPages(pages => pages.Conventions.AuthorizeFolder("/"));

    var app = builder.Build();
    app.UseTrustedProxies();
    if (app.Environment.IsProduction())
        app.UseHsts();
    app.UseExceptionHandler();
    app.UseSecurityHeaders();
    // Pages get a Dutch error page; the API keeps its problem details.
    app.UseWhen(context => !context.Request.IsMachinePath(), pages => pages.UseStatusCodePagesWithReExecute("/fout/{0}"));
    app.UseStatusCodePages();
    app.UseResponseCompression();
    app.UseStaticFilesWithCaching();
    app.UseNoStoreForDynamicAnswers();
    app.UseAuditRequestContext();
    app.UseCorrelationScope();
    app.UseAuthentication();
    app.UseAuthorization();
    app.UseRateLimiter();
    app.UseAntiforgery();
    app.UseCookieAntiforgery();
    app.MapDecisionsHealth();
    app.MapAuthEndpoints();
    app.MapSignIn();
    app.MapRazorPages();
    app.MapDecisionsApi();
    app.MapZgw();
    app.MapWoo();
    app.MapDecisionsJobs();
    app.MapDevMailbox(app.Environment, app.Services.GetRequiredService<MailOptions>());

    return await app.RunVerbOrServeAsync(args);
}
catch (StartupException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}

/// <summary>Entry point; public so the integration tests can host it.</summary>
public partial class Program;
