using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.OpenIdConnect;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Token.Dpop;
using OAuthAspire.Token.Users;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.Token.Mtls;

using OAuthAspire.Token.Clients;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// <c>GET|POST /oauth/userinfo</c> (OpenID Connect Core §5.3): the signed-in user's claims, by the
/// scopes of a valid access token carrying <c>openid</c>. Never cached.
/// </summary>
public static class UserInfoEndpoint
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapMethods(Protocol.Discovery.MetadataBuilder.Paths.UserInfo, ["GET", "POST"], HandleAsync).DisableAntiforgery();

    private static async Task<IResult> HandleAsync(HttpContext http, TokenInspection inspection, UserDirectory users, TokenDpop dpop, RegisteredClients clients)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        var scheme = DpopToken.Read(http.Request.Headers.Authorization.ToArray(), out var token);
        if (scheme == AuthorizationScheme.Missing)
        {
            return Challenge(http, 401, $"{BearerChallenge.Missing}, {DpopChallenge.Missing}");
        }

        if (scheme == AuthorizationScheme.Malformed)
        {
            return Challenge(http, 400, BearerChallenge.InvalidRequest);
        }

        var dpopScheme = scheme == AuthorizationScheme.DPoP;
        var content = await inspection.ActiveAsync(token, http.RequestAborted);
        var user = content is null || content.Subject == content.ClientId ? null : await users.GetAsync(content.Subject, http.RequestAborted);
        if (content is null || user is not { Active: true })
        {
            const string invalid = "The access token is invalid.";
            return Challenge(http, 401, dpopScheme ? DpopChallenge.InvalidToken(invalid) : BearerChallenge.InvalidToken(invalid));
        }

        var fapi2 = content.Cnf?.Jkt is not null && (await clients.FindAsync(content.ClientId, http.RequestAborted))?.Fapi2 == true;
        if (await dpop.CheckResourceAsync(http, token, content.Cnf?.Jkt, dpopScheme, fapi2) is { } unproven)
        {
            return Challenge(http, 401, unproven);
        }

        if (MtlsProtocol.Unproven(content.Cnf?.X5tS256, ClientCertificates.Of(http)) is { } unbound)
        {
            return Challenge(http, 401, dpopScheme ? DpopChallenge.InvalidToken(unbound) : BearerChallenge.InvalidToken(unbound));
        }

        if (!content.Scopes.Contains("openid"))
        {
            var challenge = BearerChallenge.InsufficientScope(["openid"]);
            return Challenge(http, 403, dpopScheme ? DpopChallenge.FromBearer(challenge) : challenge);
        }

        return OAuthResults.Json(UserInfo.Claims(new UserClaimsSource(user.SysId, user.UserName, user.Email, user.FirstName, user.LastName), content.Scopes));
    }

    private static IResult Challenge(HttpContext http, int status, string challenge)
    {
        http.Response.Headers.WWWAuthenticate = challenge;
        return TypedResults.StatusCode(status);
    }
}
