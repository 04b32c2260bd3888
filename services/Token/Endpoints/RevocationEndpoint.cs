using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// <c>POST /oauth/revoke</c> (RFC 7009). Confidential clients authenticate, public clients send
/// their client_id. A client revokes only tokens issued to it; an unknown or invalid token is
/// answered 200 like a revoked one (§2.2). The hint is honoured, with fallback to the other type.
/// </summary>
public sealed class RevocationEndpoint(ClientAuthenticator authenticator, TokenInspection inspection, RevocationStore revocations, RefreshTokenStore refreshTokens,
    IAuditSink audit, ILogger<RevocationEndpoint> logger)
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(MetadataBuilder.Paths.Revocation, (HttpContext http, RevocationEndpoint endpoint) => endpoint.HandleAsync(http));

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        try
        {
            var (form, error) = await OAuthResults.ReadFormAsync(http);
            if (form is null)
            {
                return OAuthResults.Error(error!);
            }

            // Public clients revoke with their client_id alone (RFC 7009 §2.1).
            var authenticated = await authenticator.AuthenticateAsync(http, form, publicClients: true);
            if (authenticated.Client is not { } caller)
            {
                return OAuthResults.Error(authenticated.Error!);
            }

            var token = form["token"];
            if (token is null)
            {
                return OAuthResults.Error(ProtocolError.InvalidRequest("The token parameter is required."));
            }

            // A refresh token revokes its family and every access token issued from it (§2.1).
            // Opaque tokens are refresh tokens whatever the hint says; the hint only orders the look-ups.
            if (RefreshTokens.LooksLikeRefreshToken(token))
            {
                var family = await refreshTokens.FamilyOfAsync(token, http.RequestAborted);
                if (family is null || family.RevokedAt is not null)
                {
                    return OAuthResults.Empty();
                }

                if (family.ClientId != caller.ClientId)
                {
                    return OAuthResults.Error(ProtocolError.UnauthorizedClient("The token was not issued to this client."));
                }

                await using var connection = await refreshTokens.DataSource.OpenConnectionAsync(http.RequestAborted);
                await using var tx = await connection.BeginTransactionAsync(http.RequestAborted);
                var familyActor = new AuditActor(family.UserSysId, null, caller.ClientId);
                await refreshTokens.RevokeFamilyAsync(tx, family, "revoked by the client", familyActor, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
                await audit.WriteAsync(tx, new RefreshFamilyRevoked(family.ClientId, family.UserSysId, family.FamilyId)
                    { Actor = familyActor, Reason = "revoked by the client", RemoteAddress = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
                await tx.CommitAsync(http.RequestAborted);
                return OAuthResults.Empty();
            }

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
        catch (Exception e) when (Dependencies.Away(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Revocation could not be served: {Reason}", e.Message);
            return OAuthResults.Unavailable();
        }
    }
}
