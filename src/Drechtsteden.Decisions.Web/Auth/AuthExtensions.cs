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
        if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
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
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return Convert.FromBase64String(File.ReadAllText(file).Trim());
    }
}

/// <summary>Checks passwords and issues bearer tokens.</summary>
public sealed class TokenService(DecisionsDbContext db, IPasswordHasher<UserAccount> hasher, AuthOptions options, SymmetricSecurityKey key, TimeProvider clock)
{
    public async Task<UserAccount?> CheckPasswordAsync(string? userName, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password) || userName.Length > 200 || password.Length > 1000)
            return null;
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userName && u.Active, cancellationToken);
        if (user?.PasswordHash is not { } hash)
            return null;
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
        var user = await (from t in db.Set<ApiToken>()
                          join u in db.Users on t.UserId equals u.Id
                          where t.TokenHash == hash && t.RevokedAt == null && u.Active
                          select u).AsNoTracking().FirstOrDefaultAsync(Context.RequestAborted);
        return user is null
            ? AuthenticateResult.Fail("Unknown or revoked API token.")
            : AuthenticateResult.Success(new AuthenticationTicket(DecisionsClaims.Principal(user, Scheme.Name), Scheme.Name));
    }
}
