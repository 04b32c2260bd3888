using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Requests;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// The authorization endpoint's side of pushed requests (RFC 9126 §4): <c>client_id</c> and a
/// <c>request_uri</c> the token service handed out for that client stand for the pushed parameters,
/// which alone count. Any other <c>request_uri</c> is refused: no URL is ever fetched.
/// </summary>
public sealed class PushedRequestReader(IServiceProvider services)
{
    /// <returns>The pushed parameters, or why there are none (for an error page: no redirect URI is trusted yet).</returns>
    public async Task<(RequestParameters? Parameters, string? Problem)> ReadAsync(RequestParameters sent, string requestUri, CancellationToken cancellationToken)
    {
        if (sent["client_id"] is not { } clientId || !Identifiers.IsClientId(clientId))
        {
            return (null, "The request names no client (client_id is missing or malformed).");
        }

        if (PushedAuthorization.HashOf(requestUri) is null)
        {
            return (null, "request_uri is accepted only as this server's pushed authorization endpoint handed it out.");
        }

        var reply = await services.GetRequiredService<TokenIssuerClient>().GetPushedRequestAsync(
            new GetPushedRequestRequest { RequestUri = requestUri, ClientId = clientId }, cancellationToken: cancellationToken);
        if (!reply.Found)
        {
            return (null, "The pushed authorization request is unknown, expired or used already; the application must push it again.");
        }

        return (new RequestParameters(reply.Parameters.Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key, [kv.Value]))), null);
    }
}
