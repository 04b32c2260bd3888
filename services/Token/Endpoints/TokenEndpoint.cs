using OAuthAspire.Protocol.Discovery;
using Grpc.Core;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Dpop;
using OAuthAspire.Token.Grants;
using OAuthAspire.Token.Mtls;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// <c>POST /oauth/token</c> (alias <c>/oauth_token.do</c>). Orchestrates only: read the form,
/// authenticate the client, check the grant is allowed, hand over to the grant, answer, audit.
/// </summary>
public sealed class TokenEndpoint(ClientAuthenticator authenticator, ClientCredentialsGrant clientCredentials, AuthorizationCodeGrant authorizationCode,
    RefreshTokenGrant refreshToken, PasswordGrant password, JwtBearerGrant jwtBearer, TokenExchangeGrant tokenExchange, DeviceCodeGrant deviceCode, TokenDpop dpop,
    ClientFirstUse firstUse, IAuditSink audit, ILogger<TokenEndpoint> logger)
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(MetadataBuilder.Paths.Token, (HttpContext http, TokenEndpoint endpoint) => endpoint.HandleAsync(http));
        endpoints.MapPost(MetadataBuilder.Paths.TokenAlias, (HttpContext http, TokenEndpoint endpoint) => endpoint.HandleAsync(http));
    }

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        string? clientId = null, grantType = null;
        try
        {
            var (form, formError) = await OAuthResults.ReadFormAsync(http);
            if (form is null)
            {
                return await RefuseAsync(http, null, null, GrantOutcome.Refuse(formError!));
            }

            grantType = form["grant_type"];
            var caller = await authenticator.AuthenticateAsync(http, form, publicClients: true);
            clientId = caller.ClientId;
            if (caller.Client is not { } client)
            {
                return await RefuseAsync(http, clientId, grantType, GrantOutcome.Refuse(caller.Error!, caller.Reason));
            }

            GrantOutcome outcome = grantType switch
            {
                null => GrantOutcome.Refuse(ProtocolError.InvalidRequest("The grant_type parameter is required.")),
                _ when !GrantTypes.TokenEndpoint.Contains(grantType) => GrantOutcome.Refuse(ProtocolError.UnsupportedGrantType($"The grant type '{grantType}' is not supported.")),
                _ when !client.GrantTypes.Contains(grantType) => GrantOutcome.Refuse(ProtocolError.UnauthorizedClient($"The client is not allowed the grant type '{grantType}'.")),
                _ => await DispatchAsync(http, form, client, grantType),
            };

            if (outcome is GrantOutcome.Issued)
            {
                // Past the grant's commit: nothing may cost the answer now (see ClientFirstUse).
                await firstUse.RecordAsync(client, CancellationToken.None);
            }

            return outcome switch
            {
                GrantOutcome.Issued issued => OAuthResults.Json(issued.Response),
                GrantOutcome.Refused refused => await RefuseAsync(http, clientId, grantType, refused),
                _ => throw new InvalidOperationException(),
            };
        }
        catch (Exception e) when (Dependencies.Away(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Token request could not be served: {Reason}", e.Message);
            return OAuthResults.Unavailable();
        }
    }

    /// <summary>The DPoP proof, if any, is checked once for every grant; then the grant decides.</summary>
    private async Task<GrantOutcome> DispatchAsync(HttpContext http, RequestParameters form, RegisteredClient client, string grantType)
    {
        var binding = await dpop.CheckAsync(http, client);
        if (binding.Error is { } error)
        {
            return GrantOutcome.Refuse(error, binding.Reason);
        }

        // RFC 8705 §3: bound to the certificate of this request, for a client that asked; and FAPI 2.0 §5.3.2.1: a
        // fapi2 client's tokens are sender-constrained, so without a DPoP proof its certificate binds them.
        var fapiUnbound = client.Fapi2 && binding.Jkt is null;
        string? x5t = null;
        if (client.TlsClientCertificateBoundAccessTokens || fapiUnbound)
        {
            if (ClientCertificates.Of(http) is not { } certificate)
            {
                return fapiUnbound
                    ? GrantOutcome.Refuse(ProtocolError.InvalidRequest(
                        "This client's tokens must be sender-constrained (FAPI 2.0): send a DPoP proof, or call the mutual-TLS endpoint with its certificate."),
                        "fapi2 client without a DPoP proof or a client certificate")
                    : GrantOutcome.Refuse(ProtocolError.InvalidRequest(
                        "This client's access tokens are bound to its certificate: call the mutual-TLS endpoint (mtls_endpoint_aliases) with it."),
                        "certificate-bound client without a client certificate");
            }

            x5t = MtlsProtocol.Thumbprint(certificate);
        }

        var request = new TokenRequest(http, form, client, grantType, binding.Jkt, x5t);
        return grantType switch
        {
            GrantTypes.ClientCredentials => await clientCredentials.HandleAsync(request),
            GrantTypes.AuthorizationCode => await authorizationCode.HandleAsync(request),
            GrantTypes.RefreshToken => await refreshToken.HandleAsync(request),
            GrantTypes.Password => await password.HandleAsync(request),
            GrantTypes.JwtBearer => await jwtBearer.HandleAsync(request),
            GrantTypes.TokenExchange => await tokenExchange.HandleAsync(request),
            GrantTypes.DeviceCode => await deviceCode.HandleAsync(request),
            _ => GrantOutcome.Refuse(ProtocolError.UnsupportedGrantType($"The grant type '{grantType}' is not supported yet.")),
        };
    }

    /// <summary>Refusals are audited with the client, the error, the reason and the remote address.</summary>
    private async Task<IResult> RefuseAsync(HttpContext http, string? clientId, string? grantType, GrantOutcome.Refused refused)
    {
        if (refused.Error.Error is OAuthErrorCodes.AuthorizationPending or OAuthErrorCodes.SlowDown)
        {
            http.Response.Headers[DevicePolling.PollAnswerHeader] = "1";
        }

        if (refused.Audited)
        {
            return OAuthResults.Error(refused.Error);
        }

        try
        {
            await audit.WriteAsync(new TokenRequestRefused(Truncate(clientId), Truncate(grantType), refused.Error.Error)
            {
                Actor = clientId is null ? AuditActor.None : AuditActor.Client(Truncate(clientId)!),
                Outcome = AuditOutcome.Failure,
                Reason = refused.Reason,
                RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            }, http.RequestAborted);
        }
        catch (Exception e) when (Dependencies.Away(e))
        {
            logger.LogWarning("Could not record a token refusal: {Reason}", e.Message);
        }

        return OAuthResults.Error(refused.Error);
    }

    // Attacker-chosen values go into the audit trail cut short.
    private static string? Truncate(string? value) => value is { Length: > Identifiers.MaxClientIdLength } ? value[..Identifiers.MaxClientIdLength] : value;
}
