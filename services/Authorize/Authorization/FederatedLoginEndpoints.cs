using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.OpenIdConnect;
using OAuthAspire.ServiceDefaults.Http;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// Signing in through a trusted provider from the login page. The button (or home-realm discovery
/// on the user name) posts here; a random value goes into a cookie of this path alone and its hash
/// to federation-trust, which sends the browser to the provider (<c>BeginSignIn</c>). The provider's
/// answer arrives at the trust's own callback, where only the browser holding that cookie can
/// complete it (<c>CompleteSignIn</c>); a refusal shows the login page again with a generic message
/// (the reason is audited). Then a session starts as after a password, marked federated (acr) with
/// the provider's RFC 8176 methods (amr), and the authorization request continues.
/// </summary>
public static class FederatedLoginEndpoints
{
    public const string CookieName = "oauthaspire_broker";
    public const string Failure = "Signing in through {0} did not succeed. Try again, or sign in another way.";

    public static IEndpointRouteBuilder MapFederatedLoginEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(MetadataBuilder.Paths.FederatedLogin, StartAsync).DisableAntiforgery();
        endpoints.MapGet(MetadataBuilder.Paths.FederatedLogin + "/{trust}/callback", CallbackAsync);
        return endpoints;
    }

    private static async Task<IResult> StartAsync(HttpContext http, PendingAuthorizations pendings, SignInProviders providers, IAntiforgery antiforgery,
        Issuer issuer, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Sign-in expired", "The sign-in form expired or was not sent by this site. Return to the application and try again.");
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var pending = await pendings.FindAsync(form["request"].ToString(), cancellationToken);
        if (pending is null)
        {
            return LoginEndpoints.Expired();
        }

        return await providers.FindAsync(form["trust"].ToString(), cancellationToken) is { } provider
            ? await GoToProviderAsync(http, pending, provider, pending.Request.LoginHint, issuer, services, cancellationToken)
            : Html.ErrorPage("Sign-in unavailable", "That sign-in option is not offered. Return to the application and try again.", StatusCodes.Status400BadRequest);
    }

    /// <summary>Binds a new attempt to this browser and sends it to the provider.</summary>
    public static async Task<IResult> GoToProviderAsync(HttpContext http, Pending pending, SignInProvider provider, string? loginHint, Issuer issuer,
        IServiceProvider services, CancellationToken cancellationToken)
    {
        var browser = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var request = new BeginSignInRequest
        {
            Trust = provider.Trust, PendingRequest = pending.Id, BrowserBinding = ByteString.CopyFrom(Binding(browser)),
            MaxAge = pending.Request.MaxAge ?? -1, LoginHint = loginHint ?? "", ClientId = pending.Request.IsPageVisit ? "" : pending.Request.ClientId,
        };
        request.Prompt.AddRange(pending.Request.Prompt);
        BeginSignInReply begun;
        try
        {
            begun = await services.GetRequiredService<FederationTrustClient>().BeginSignInAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition || Dependencies.Away(e))
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FederatedLoginEndpoints))
                .LogWarning("A sign-in through trust {Trust} could not begin: {Reason}", provider.Trust, e.Status.Detail);
            return Html.ErrorPage("Sign-in unavailable", $"Signing in through {provider.DisplayName} is not possible right now. Try again later, or sign in another way.",
                StatusCodes.Status503ServiceUnavailable);
        }

        http.Response.Cookies.Append(CookieName, browser, new CookieOptions
        {
            HttpOnly = true,
            // Lax: the provider's answer is a top-level navigation from its site.
            SameSite = SameSiteMode.Lax,
            Secure = issuer.Value.StartsWith("https://", StringComparison.Ordinal),
            Path = MetadataBuilder.Paths.FederatedLogin,
            MaxAge = TimeSpan.FromMinutes(10),
            IsEssential = true,
        });
        return TypedResults.Redirect(begun.AuthorizationUrl);
    }

    private static async Task<IResult> CallbackAsync(string trust, HttpContext http, PendingAuthorizations pendings, RegisteredClients clients,
        SignInProviders providers, Sessions.Sessions sessions, AuthorizationFlow flow, IAntiforgery antiforgery, IServiceProvider services,
        CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        var browser = http.Request.Cookies[CookieName];
        http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = MetadataBuilder.Paths.FederatedLogin });
        CompleteSignInReply completed;
        try
        {
            completed = await services.GetRequiredService<FederationTrustClient>().CompleteSignInAsync(new CompleteSignInRequest
            {
                Trust = trust, State = query["state"].ToString(), Code = query["code"].ToString(), Iss = query["iss"].ToString(), Error = query["error"].ToString(),
                BrowserBinding = ByteString.CopyFrom(browser is { Length: > 0 and <= 100 } ? Binding(browser) : []),
                RemoteAddress = http.Connection.RemoteIpAddress?.ToString() ?? "",
            }, cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (Dependencies.Away(e) && !cancellationToken.IsCancellationRequested)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FederatedLoginEndpoints))
                .LogWarning("A sign-in through trust {Trust} could not complete: {Reason}", Short(trust), e.Status.Detail);
            return Html.ErrorPage("Sign-in unavailable", "Signing in is not possible right now. Return to the application and try again later.",
                StatusCodes.Status503ServiceUnavailable);
        }
        var pending = await pendings.FindAsync(completed.PendingRequest, cancellationToken);
        if (pending is null)
        {
            return LoginEndpoints.Expired();
        }

        if (!completed.Ok)
        {
            var client = pending.Request.IsPageVisit ? null : await clients.FindAsync(pending.Request.ClientId, cancellationToken);
            return LoginEndpoints.Form(http, antiforgery, pending, client, await providers.ListAsync(cancellationToken), pending.Request.LoginHint,
                string.Format(System.Globalization.CultureInfo.InvariantCulture, Failure, completed.DisplayName), StatusCodes.Status401Unauthorized);
        }

        // The session's auth_time is when the provider authenticated the user, not when its answer arrived.
        await sessions.StartAsync(http, completed.UserSysId, [.. completed.Amr, IdToken.FederatedMarker], cancellationToken,
            completed.AuthTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(completed.AuthTime) : null);
        return await LoginEndpoints.SignedInAsync(http, pending, pendings, flow, cancellationToken);
    }

    private static string Short(string value) => value.Length > 64 ? value[..64] : value;

    private static byte[] Binding(string browser) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(browser));
}
