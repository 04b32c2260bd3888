using OAuthAspire.Protocol.OpenIdConnect;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// <c>GET|POST /oauth/userinfo</c> (OpenID Connect Core §5.3): the signed-in user's claims, by the
/// scopes of a valid access token carrying <c>openid</c>. Never cached.
/// </summary>
public static class UserInfoEndpoint
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapMethods(Protocol.Discovery.MetadataBuilder.Paths.UserInfo, ["GET", "POST"], HandleAsync).DisableAntiforgery();

    private static async Task<IResult> HandleAsync(HttpContext http, TokenInspection inspection, UserDirectory users)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        var header = BearerToken.Read(http.Request.Headers.Authorization.ToArray(), out var token);
        if (header == BearerHeader.Missing)
        {
            return Challenge(http, 401, "Bearer");
        }

        if (header == BearerHeader.Malformed)
        {
            return Challenge(http, 400, "Bearer error=\"invalid_request\"");
        }

        var content = await inspection.ActiveAsync(token, http.RequestAborted);
        var user = content is null || content.Subject == content.ClientId ? null : await users.GetAsync(content.Subject, http.RequestAborted);
        if (content is null || user is not { Active: true })
        {
            return Challenge(http, 401, "Bearer error=\"invalid_token\", error_description=\"The access token is invalid.\"");
        }

        if (!content.Scopes.Contains("openid"))
        {
            return Challenge(http, 403, "Bearer error=\"insufficient_scope\", scope=\"openid\"");
        }

        return OAuthResults.Json(UserInfo.Claims(new UserClaimsSource(user.SysId, user.UserName, user.Email, user.FirstName, user.LastName), content.Scopes));
    }

    private static IResult Challenge(HttpContext http, int status, string challenge)
    {
        http.Response.Headers.WWWAuthenticate = challenge;
        return TypedResults.StatusCode(status);
    }
}
