using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// <c>POST /oauth/introspect</c> (RFC 7662). The caller authenticates; it learns about its own
/// tokens, or about any token when it may introspect others' (a resource server). Everything else,
/// expired, revoked, malformed, foreign or not its own, is <c>{"active": false}</c>.
/// </summary>
public sealed class IntrospectionEndpoint(ClientAuthenticator authenticator, TokenInspection inspection, RefreshTokenStore refreshTokens, ILogger<IntrospectionEndpoint> logger)
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(MetadataBuilder.Paths.Introspection, (HttpContext http, IntrospectionEndpoint endpoint) => endpoint.HandleAsync(http));

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        try
        {
            var (form, error) = await OAuthResults.ReadFormAsync(http);
            if (form is null)
            {
                return OAuthResults.Error(error!);
            }

            var authenticated = await authenticator.AuthenticateAsync(http, form, publicClients: false);
            if (authenticated.Client is not { } caller)
            {
                return OAuthResults.Error(authenticated.Error!);
            }

            var token = form["token"];
            if (token is null)
            {
                return OAuthResults.Error(ProtocolError.InvalidRequest("The token parameter is required."));
            }

            // Refresh tokens are opaque, access tokens are JWTs: the shape says which store to ask.
            if (RefreshTokens.LooksLikeRefreshToken(token))
            {
                var family = await refreshTokens.ActiveFamilyAsync(token, http.RequestAborted);
                return family is not null && (family.ClientId == caller.ClientId || caller.CanIntrospect)
                    ? OAuthResults.Json(new IntrospectionResponse
                    {
                        Active = true,
                        ClientId = family.ClientId,
                        Scope = ScopeSet.Format(family.Scopes),
                        Sub = family.UserSysId,
                        Exp = new DateTimeOffset(DateTime.SpecifyKind(family.ExpiresAt, DateTimeKind.Utc)).ToUnixTimeSeconds(),
                        TokenType = "refresh_token",
                    })
                    : OAuthResults.Json(IntrospectionResponse.Inactive);
            }

            var content = await inspection.ActiveAsync(token, http.RequestAborted);
            return content is not null && (content.ClientId == caller.ClientId || caller.CanIntrospect)
                ? OAuthResults.Json(IntrospectionResponse.For(content))
                : OAuthResults.Json(IntrospectionResponse.Inactive);
        }
        catch (Exception e) when (Dependencies.Away(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Introspection could not be served: {Reason}", e.Message);
            return OAuthResults.Unavailable();
        }
    }
}
