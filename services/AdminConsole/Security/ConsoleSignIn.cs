using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.AdminConsole.Security;

/// <summary>
/// Administrators sign in with this server's own authorization code flow (pushed, PKCE, confidential client,
/// <c>openid profile admin.api</c>); the session is a cookie on <c>/console</c> holding the tokens,
/// and it ends when the access token does (the next page signs in again, silently while the
/// issuer's sign-in session lasts). A user with neither an admin role nor the auditor role is never granted <c>admin.api</c>,
/// so such a sign-in is refused here with a page that says why.
/// </summary>
public static class ConsoleSignIn
{
    public const string AdminScope = "admin.api";

    public static IServiceCollection AddConsoleSignIn(this IServiceCollection services, ConsoleSettings settings)
    {
        services.AddAuthorization();
        services.AddAuthentication(o =>
            {
                // Without a session a page sends the browser to the sign-in page, never straight to the issuer:
                // only a posted form (antiforgery) starts a sign-in, which pushes a request (PAR) to the issuer.
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            })
            .AddCookie(o =>
            {
                o.Cookie.Name = AdminConsoleApp.CookiePrefix;
                o.Cookie.Path = AdminConsoleApp.Path;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = settings.CookieSecurity;
                o.ExpireTimeSpan = TimeSpan.FromHours(1);
                o.SlidingExpiration = false;
                o.LoginPath = SignInPagePath;
                o.Events.OnValidatePrincipal = EndWithTheAccessToken;
                // A relative redirect, with the page asked for as a path: the handler's own would name the console's address, not the issuer's.
                o.Events.OnRedirectToLogin = context =>
                {
                    var asked = context.Request.PathBase + context.Request.Path + context.Request.QueryString;
                    context.Response.Redirect($"{AdminConsoleApp.Path}{SignInPagePath}?returnUrl={Uri.EscapeDataString(asked)}");
                    return Task.CompletedTask;
                };
            })
            .AddOpenIdConnect(o =>
            {
                o.Authority = settings.Issuer;
                o.RequireHttpsMetadata = settings.Issuer.StartsWith("https://", StringComparison.Ordinal);
                o.ClientId = settings.ClientId;
                o.ClientSecret = settings.ClientSecret;
                o.ResponseType = "code";
                // Query, not form_post: the answer never needs a script on the issuer's page.
                o.ResponseMode = "query";
                o.UsePkce = true;
                // The request is pushed first (RFC 9126): only its handle travels through the browser (the client requires it).
                o.PushedAuthorizationBehavior = PushedAuthorizationBehavior.Require;
                o.Scope.Clear();
                foreach (var scope in AdminConsoleApp.Scopes)
                {
                    o.Scope.Add(scope);
                }

                // The issuer's keys: read again every 5 minutes, sooner than an on-demand rotation's key
                // signs (Keys:OnDemandPublishLead, 10 minutes); and an ID token signed by a key not yet seen
                // (a revocation's replacement signs at once) refetches them and is checked again, at most
                // once a second (ID tokens reach the console only from its own code redemption).
                o.AutomaticRefreshInterval = TimeSpan.FromMinutes(5);
                o.RefreshInterval = TimeSpan.FromSeconds(1);
                // No library name and version in the browser's address bar (x-client-SKU, x-client-ver).
                o.DisableTelemetry = true;
                o.SaveTokens = true;
                o.MapInboundClaims = false;
                // The ID token names the user by sub alone; userinfo adds the user name the pages show (once, at sign-in).
                o.GetClaimsFromUserInfoEndpoint = true;
                o.ClaimActions.MapUniqueJsonKey("preferred_username", "preferred_username");
                o.TokenValidationParameters.NameClaimType = "preferred_username";
                o.CallbackPath = AdminConsoleApp.CallbackPath[AdminConsoleApp.Path.Length..];
                o.SignedOutCallbackPath = AdminConsoleApp.SignedOutCallbackPath[AdminConsoleApp.Path.Length..];
                o.SignedOutRedirectUri = AdminConsoleApp.Path + "/signed-out";
                // The issuer and the console share one origin: Lax is enough for the return trip.
                // Named as all the console's cookies: the edge passes it no other, and lets it set no other.
                o.CorrelationCookie.Name = AdminConsoleApp.CookiePrefix + "-correlation.";
                o.NonceCookie.Name = AdminConsoleApp.CookiePrefix + "-nonce.";
                foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
                {
                    cookie.SameSite = SameSiteMode.Lax;
                    cookie.SecurePolicy = settings.CookieSecurity;
                }

                o.Events = new OpenIdConnectEvents
                {
                    // The console sits behind the edge: its public URLs are the issuer's, never what it sees itself.
                    OnRedirectToIdentityProvider = context =>
                    {
                        context.ProtocolMessage.RedirectUri = settings.Issuer + AdminConsoleApp.CallbackPath;
                        return Task.CompletedTask;
                    },
                    OnRedirectToIdentityProviderForSignOut = context =>
                    {
                        context.ProtocolMessage.PostLogoutRedirectUri = settings.Issuer + AdminConsoleApp.SignedOutCallbackPath;
                        return Task.CompletedTask;
                    },
                    OnTokenValidated = context =>
                    {
                        var granted = context.TokenEndpointResponse?.Scope?.Split(' ') ?? [];
                        if (!granted.Contains(AdminScope, StringComparer.Ordinal))
                        {
                            context.Fail(NotAdministrator);
                        }

                        return Task.CompletedTask;
                    },
                    OnRemoteFailure = context =>
                    {
                        var reason = context.Failure?.Message == NotAdministrator ? "not-admin" : "refused";
                        context.Response.Redirect($"{AdminConsoleApp.Path}/denied?reason={reason}");
                        context.HandleResponse();
                        return Task.CompletedTask;
                    },
                };
            });
        return services;
    }

    private const string NotAdministrator = "The signed-in user holds neither an admin role nor the auditor role: admin.api was not granted.";

    /// <summary>The session lasts as long as the access token it calls the admin APIs with (less a margin for the call).</summary>
    private static async Task EndWithTheAccessToken(CookieValidatePrincipalContext context)
    {
        var expiresAt = context.Properties.GetTokenValue("expires_at");
        var time = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        if (expiresAt is null || !DateTimeOffset.TryParse(expiresAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var end)
            || end <= time.GetUtcNow().AddSeconds(30))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>The page a browser without a session lands on.</summary>
    public const string SignInPagePath = "/sign-in";

    /// <summary>
    /// <c>POST /signin</c> starts a sign-in (optionally <c>prompt=login</c>, to sign in as someone else) and
    /// returns to a page of the console; <c>POST /signout</c> ends the console's session and the issuer's
    /// (RP-initiated logout), then lands on a page that says so. Both only with the form's antiforgery token.
    /// </summary>
    public static IEndpointRouteBuilder MapSignInEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/signin", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Refused();
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            return Results.Challenge(new OpenIdConnectChallengeProperties
            {
                RedirectUri = AdminConsoleApp.ReturnPath(form["returnUrl"]),
                Prompt = form["prompt"] == "login" ? "login" : null,
            }, [OpenIdConnectDefaults.AuthenticationScheme]);
        }).AllowAnonymous().DisableAntiforgery();
        endpoints.MapPost("/signout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Refused();
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.SignOut(new AuthenticationProperties { RedirectUri = AdminConsoleApp.Path + "/signed-out" },
                [OpenIdConnectDefaults.AuthenticationScheme]);
        }).RequireAuthorization().DisableAntiforgery();
        return endpoints;
    }

    private static IResult Refused() => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form expired",
        detail: "The form was not sent by this console or has expired: reload the page and try again.");
}
