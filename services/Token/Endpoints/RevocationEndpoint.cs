using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// <c>POST /oauth/revoke</c> (RFC 7009). Confidential clients authenticate, public clients send
/// their client_id. A client revokes only tokens issued to it; an unknown or invalid token is
/// answered 200 like a revoked one (§2.2). The hint is honoured, with fallback to the other type.
/// </summary>
public sealed class RevocationEndpoint(ClientDirectory clients, TokenInspection inspection, RevocationStore revocations,
    ILogger<RevocationEndpoint> logger)
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/oauth/revoke", (HttpContext http, RevocationEndpoint endpoint) => endpoint.HandleAsync(http));

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        try
        {
            var (form, error) = await OAuthResults.ReadFormAsync(http);
            if (form is null)
            {
                return OAuthResults.Error(error!);
            }

            var credentials = ClientAuthentication.Read(http.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, form);
            if (credentials is ClientCredentials.Invalid invalid)
            {
                return OAuthResults.Error(invalid.Error);
            }

            var (caller, _) = await clients.AuthenticateAsync(credentials, http.RequestAborted);
            if (caller is null)
            {
                return OAuthResults.Error(ProtocolError.InvalidClient("Client authentication failed."));
            }

            var token = form["token"];
            if (token is null)
            {
                return OAuthResults.Error(ProtocolError.InvalidRequest("The token parameter is required."));
            }

            // Only access tokens exist so far; a refresh_token hint falls back to them (§2.1).
            var content = await inspection.OursAsync(token);
            if (content is null)
            {
                return OAuthResults.Empty();
            }

            if (content.ClientId != caller.ClientId)
            {
                return OAuthResults.Error(ProtocolError.UnauthorizedClient("The token was not issued to this client."));
            }

            var actor = new AuditActor(content.Subject == content.ClientId ? null : content.Subject, content.UserName, caller.ClientId);
            await revocations.RevokeAsync(content.Jti, content.ClientId, content.ExpiresAt, actor, http.Connection.RemoteIpAddress?.ToString(),
                http.RequestAborted);
            return OAuthResults.Empty();
        }
        catch (Exception e) when (TokenEndpoint.IsUnavailable(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Revocation could not be served: {Reason}", e.Message);
            return OAuthResults.Error(ProtocolError.TemporarilyUnavailable("The service is temporarily unavailable; retry shortly."));
        }
    }
}
