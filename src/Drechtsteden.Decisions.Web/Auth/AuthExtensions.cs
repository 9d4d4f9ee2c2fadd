using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Drechtsteden.Decisions.Users;
using Drechtsteden.Decisions.Web.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Drechtsteden.Decisions.Web.Auth;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Base64 key (at least 32 bytes) that signs the short-lived bearer tokens. Outside Production a key is made and kept in .data.</summary>
    public string? SigningKey { get; set; }

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public string Issuer { get; set; } = "drechtsteden-decisions";

    /// <summary>Token requests per client address per minute.</summary>
    public int TokenRequestsPerMinute { get; set; } = 10;

    /// <summary>Failed sign-ins on the form per client address per minute before that address must wait (successful ones do not count).</summary>
    public int SignInFailuresPerMinute { get; set; } = 10;

    /// <summary>How long a cookie session is trusted before the account is looked up again (deactivated, role or municipality changed).</summary>
    public TimeSpan SessionRevalidation { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Process commands running at once per instance; more wait in a queue (no database connection held).</summary>
    public int CommandConcurrency { get; set; } = 16;

    /// <summary>Commands that may wait for a turn; beyond this an instance answers 503 with Retry-After at once.</summary>
    public int CommandQueue { get; set; } = 256;

    public OidcSettings Oidc { get; set; } = new();
}

/// <summary>OpenID Connect for production identity providers; the claims named here carry role, municipality and region.</summary>
public sealed class OidcSettings
{
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public string RoleClaim { get; set; } = "role";

    public string MunicipalityClaim { get; set; } = "municipality";

    public string RegionClaim { get; set; } = "region";
}

public static class AuthExtensions
{
    public const string SmartScheme = "Decisions";
    public const string ApiTokenScheme = "ApiToken";
    public const string TokenRateLimit = "token";


    /// <summary>The concurrency limit of the process commands (Auth:CommandConcurrency at once, Auth:CommandQueue waiting).</summary>
    public const string CommandLimit = "commands";

    /// <summary>
    /// Sign-in: bearer tokens from POST /api/auth/token (short-lived, local accounts), API tokens ("Authorization:
    /// ApiToken ddt_…") for integrations, a cookie for the web pages, and OpenID Connect when configured.
    /// </summary>
    public static IServiceCollection AddDecisionsAuth(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var key = new SymmetricSecurityKey(SigningKey(options, configuration, environment));
        services.AddSingleton(options);
        services.AddSingleton(key);
        services.AddSingleton<IPasswordHasher<UserAccount>, PasswordHasher<UserAccount>>();
        services.AddScoped<TokenService>();
        services.AddSingleton<SignInThrottle>();

        var authentication = services.AddAuthentication(SmartScheme)
            .AddPolicyScheme(SmartScheme, "Bearer, API token or cookie", policy => policy.ForwardDefaultSelector = context =>
            {
                var header = context.Request.Headers.Authorization.ToString();
                if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                    return JwtBearerDefaults.AuthenticationScheme;
                return header.StartsWith(ApiTokenScheme + " ", StringComparison.OrdinalIgnoreCase) ? ApiTokenScheme : CookieAuthenticationDefaults.AuthenticationScheme;
            })
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = options.Issuer,
                    ValidAudience = options.Issuer,
                    IssuerSigningKey = key,
                    NameClaimType = DecisionsClaims.Name,
                    RoleClaimType = DecisionsClaims.Role,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokenScheme, _ => { })
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "drechtsteden.auth";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.LoginPath = "/inloggen";
                cookie.AccessDeniedPath = "/fout/403";
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                // Behind TLS in Production: never send the session over plain HTTP.
                cookie.Cookie.SecurePolicy = environment.IsProduction() ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                cookie.Events.OnValidatePrincipal = context => SessionCheck.ValidateAsync(context, options);
                // An API call without credentials gets 401/403, not a redirect to the sign-in page.
                cookie.Events.OnRedirectToLogin = context => ApiOr(context, StatusCodes.Status401Unauthorized);
                cookie.Events.OnRedirectToAccessDenied = context => ApiOr(context, StatusCodes.Status403Forbidden);
            });
        if (!string.IsNullOrWhiteSpace(options.Oidc.Authority))
        {
            authentication.AddOpenIdConnect("oidc", oidc =>
            {
                oidc.Authority = options.Oidc.Authority;
                oidc.ClientId = options.Oidc.ClientId;
                oidc.ClientSecret = options.Oidc.ClientSecret;
                oidc.ResponseType = "code";
                oidc.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                oidc.MapInboundClaims = false;
                oidc.GetClaimsFromUserInfoEndpoint = true;
                oidc.TokenValidationParameters.NameClaimType = DecisionsClaims.Name;
                oidc.TokenValidationParameters.RoleClaimType = DecisionsClaims.Role;
                oidc.ClaimActions.MapUniqueJsonKey(DecisionsClaims.Role, options.Oidc.RoleClaim);
                oidc.ClaimActions.MapUniqueJsonKey(DecisionsClaims.Municipality, options.Oidc.MunicipalityClaim);
                oidc.ClaimActions.MapUniqueJsonKey(DecisionsClaims.Region, options.Oidc.RegionClaim);
            });
        }
        services.AddAuthorization();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var policy = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute>()?.PolicyName;
                if (policy == CommandLimit)
                {
                    // More commands at once than the database can serve well: shed the excess early, before it holds a connection.
                    context.HttpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.HttpContext.Response.Headers.RetryAfter = "1";
                    await Results.Problem(title: "Busy", detail: "Too many commands at once; nothing was changed. Try again in a second.",
                        statusCode: StatusCodes.Status503ServiceUnavailable, extensions: new Dictionary<string, object?> { ["code"] = "busy" }).ExecuteAsync(context.HttpContext);
                    return;
                }
                context.HttpContext.Response.Headers.RetryAfter = "60";
            };
            limiter.AddPolicy(CommandLimit, _ => RateLimitPartition.GetConcurrencyLimiter(CommandLimit, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = options.CommandConcurrency,
                QueueLimit = options.CommandQueue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
            limiter.AddPolicy(TokenRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.TokenRequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

        });
        return services;
    }

    /// <summary>
    /// Behind a reverse proxy that ends TLS: X-Forwarded-For and -Proto are believed only from the proxies named in
    /// ForwardedHeaders__KnownProxies (addresses) or ForwardedHeaders__KnownNetworks (CIDR), so the rate limiters and
    /// the audit trail see the client's address and cookies know the request was HTTPS. Nothing configured: the
    /// headers are ignored (anyone could send them).
    /// </summary>
    public static bool UseTrustedProxies(this WebApplication app)
    {
        var proxies = (app.Configuration["ForwardedHeaders:KnownProxies"] ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries);
        var networks = (app.Configuration["ForwardedHeaders:KnownNetworks"] ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries);
        if (proxies.Length == 0 && networks.Length == 0)
            return false;
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = 1 };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
            options.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address) ? address : throw new StartupException($"ForwardedHeaders__KnownProxies: '{proxy}' is not an IP address."));
        foreach (var network in networks)
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed : throw new StartupException($"ForwardedHeaders__KnownNetworks: '{network}' is not a CIDR network."));
        app.UseForwardedHeaders(options);
        return true;
    }

    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/token", IssueTokenAsync)
            .WithName("IssueToken").WithTags("Authentication").AllowAnonymous().RequireRateLimiting(TokenRateLimit)
            .WithSummary("Exchange a user name and password for a short-lived bearer token.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    public sealed record TokenRequest(string? UserName, string? Password);

    public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> IssueTokenAsync(TokenRequest request, TokenService tokens, CancellationToken cancellationToken)
    {
        var user = await tokens.CheckPasswordAsync(request.UserName, request.Password, cancellationToken);
        if (user is null)
            return TypedResults.Problem(title: "Sign-in failed", detail: "Unknown user name or wrong password.", statusCode: StatusCodes.Status401Unauthorized);
        var (token, lifetime) = tokens.IssueBearer(user);
        return TypedResults.Ok(new TokenResponse(token, "Bearer", (int)lifetime.TotalSeconds));
    }

    private static Task ApiOr(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (Api.ApiExtensions.IsMachinePath(context.Request))
            context.Response.StatusCode = status;
        else
            context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static byte[] SigningKey(AuthOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            var configured = Convert.FromBase64String(options.SigningKey);
            return configured.Length >= 32 ? configured : throw new StartupException("Auth__SigningKey must be at least 32 bytes, base64-encoded.");
        }
        if (environment.IsProduction())
            throw new StartupException("Auth__SigningKey is not set: give the app a base64 key of at least 32 bytes (e.g. openssl rand -base64 48).");
        var folder = configuration["Database:Embedded:DataDirectory"] ?? ".data";
        var file = Path.Combine(folder, "token-signing.key");
        return Convert.FromBase64String(SecretFiles.ReadOrCreate(file, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48))));
    }
}

/// <summary>Checks passwords and issues bearer tokens.</summary>
public sealed class TokenService(DecisionsDbContext db, IPasswordHasher<UserAccount> hasher, AuthOptions options, SymmetricSecurityKey key, TimeProvider clock)
{
    /// <summary>A hash no password matches, checked when the user is unknown: an unknown name costs what a known one costs.</summary>
    private static readonly UserAccount DecoyUser = new("decoy", "decoy", "decoy@invalid", Role.Auditor);
    private static readonly Lazy<string> Decoy = new(() => new PasswordHasher<UserAccount>().HashPassword(DecoyUser, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

    public async Task<UserAccount?> CheckPasswordAsync(string? userName, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password) || userName.Length > 200 || password.Length > 1000)
            return null;
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userName && u.Active, cancellationToken);
        if (user?.PasswordHash is not { } hash)
        {
            hasher.VerifyHashedPassword(user ?? DecoyUser, Decoy.Value, password);
            return null;
        }
        return hasher.VerifyHashedPassword(user, hash, password) == PasswordVerificationResult.Failed ? null : user;
    }

    public (string Token, TimeSpan Lifetime) IssueBearer(UserAccount user)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Issuer,
            Subject = new ClaimsIdentity(DecisionsClaims.For(user)),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.TokenLifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        return (token, options.TokenLifetime);
    }
}

/// <summary>"Authorization: ApiToken ddt_…": looks up the token's hash; revoked tokens and inactive users are refused.</summary>
public sealed class ApiTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DecisionsDbContext db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(AuthExtensions.ApiTokenScheme + " ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var token = header[(AuthExtensions.ApiTokenScheme.Length + 1)..].Trim();
        if (!token.StartsWith(ApiToken.Prefix, StringComparison.Ordinal) || token.Length > 200)
            return AuthenticateResult.Fail("Not an API token.");
        var hash = ApiToken.HashOf(token);
        var found = await (from t in db.Set<ApiToken>()
                           join u in db.Users on t.UserId equals u.Id
                           where t.TokenHash == hash && t.RevokedAt == null && u.Active
                           select new { User = u, t.Name, t.CreatedBy, t.Scope, t.ScopeMunicipality }).AsNoTracking().FirstOrDefaultAsync(Context.RequestAborted);
        if (found is null)
            return AuthenticateResult.Fail("Unknown or revoked API token.");
        if (found.Scope is { } scope)
        {
            // An integration token for one scope acts in no role: it reaches only what its scope opens (the ZGW Besluiten API).
            var scoped = new ClaimsIdentity(
            [
                new Claim(DecisionsClaims.Subject, found.User.Id), new Claim(DecisionsClaims.Name, DecisionsClaims.MintedFor(found.User.DisplayName, found.Name, found.CreatedBy)),
                new Claim(DecisionsClaims.Scope, scope), new Claim(DecisionsClaims.ScopeMunicipality, found.ScopeMunicipality ?? ""),
            ], Scheme.Name, DecisionsClaims.Name, DecisionsClaims.Role);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(scoped), Scheme.Name));
        }
        // A token an administrator minted for someone else acts as that user, and says so in every audit entry it makes:
        // the actor's name carries the token's name and who minted it (part of the hashed canonical form).
        var principal = DecisionsClaims.Principal(found.User, Scheme.Name);
        if (!string.Equals(found.CreatedBy, found.User.Id, StringComparison.Ordinal))
        {
            var identity = (ClaimsIdentity)principal.Identity!;
            identity.RemoveClaim(identity.FindFirst(DecisionsClaims.Name));
            identity.AddClaim(new Claim(DecisionsClaims.Name, DecisionsClaims.MintedFor(found.User.DisplayName, found.Name, found.CreatedBy)));
        }
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }
}

/// <summary>
/// A cookie session is re-checked against the account every <see cref="AuthOptions.SessionRevalidation"/>: a
/// deactivated account is signed out, a changed role, municipality or region too (the next sign-in carries the new
/// ones). Between checks the cookie is trusted, so a change takes effect within minutes, not after eight hours.
/// </summary>
internal static class SessionCheck
{
    private const string CheckedAt = "checked";

    public static async Task ValidateAsync(CookieValidatePrincipalContext context, AuthOptions options)
    {
        var clock = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        if (context.Properties.Items.TryGetValue(CheckedAt, out var text) && long.TryParse(text, out var ticks)
            && now - new DateTimeOffset(ticks, TimeSpan.Zero) < options.SessionRevalidation && ticks <= now.UtcTicks)
            return;
        var id = context.Principal?.FindFirst(DecisionsClaims.Subject)?.Value;
        var db = context.HttpContext.RequestServices.GetRequiredService<DecisionsDbContext>();
        var user = id is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, context.HttpContext.RequestAborted);
        string? Claim(string type) => context.Principal!.FindFirst(type)?.Value;
        if (user is not { Active: true } || Claim(DecisionsClaims.Role) != user.Role.ToString()
            || Claim(DecisionsClaims.Municipality) != user.MunicipalityCode || Claim(DecisionsClaims.Region) != user.RegionCode)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        context.Properties.Items[CheckedAt] = now.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.ShouldRenew = true;
    }
}
