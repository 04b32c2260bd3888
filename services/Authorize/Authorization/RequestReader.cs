using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Requests;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>What stands for the authorization request's parameters, and whether the client signed them.</summary>
public sealed record RequestRead(RequestParameters? Parameters, bool Signed, string? Problem);

/// <summary>
/// The authorization endpoint's two indirect requests, both answered by the token service (which
/// holds the pushes and the clients' keys): a pushed request (RFC 9126 §4), named by <c>client_id</c>
/// and a <c>request_uri</c> the token service handed out for that client, and a signed request object
/// (RFC 9101) in <c>request</c>. Either stands for every other parameter sent. Any other
/// <c>request_uri</c> is refused: no URL is ever fetched. A problem is for an error page: no redirect
/// URI is trusted yet.
/// </summary>
public sealed class RequestReader(IServiceProvider services)
{
    public async Task<RequestRead> PushedAsync(RequestParameters sent, string requestUri, CancellationToken cancellationToken)
    {
        if (sent["client_id"] is not { } clientId || !Identifiers.IsClientId(clientId))
        {
            return new(null, false, NoClient);
        }

        if (PushedAuthorization.HashOf(requestUri) is null)
        {
            return new(null, false, "request_uri is accepted only as this server's pushed authorization endpoint handed it out.");
        }

        var reply = await services.GetRequiredService<TokenIssuerClient>().GetPushedRequestAsync(
            new GetPushedRequestRequest { RequestUri = requestUri, ClientId = clientId }, cancellationToken: cancellationToken);
        if (!reply.Found)
        {
            return new(null, false, "The pushed authorization request is unknown, expired or used already; the application must push it again.");
        }

        return new(RequestParameters.FromSingle(reply.Parameters), reply.Signed, null);
    }

    public async Task<RequestRead> RequestObjectAsync(RequestParameters sent, string requestObject, CancellationToken cancellationToken)
    {
        if (sent["client_id"] is not { } clientId || !Identifiers.IsClientId(clientId))
        {
            return new(null, false, NoClient);
        }

        var reply = await services.GetRequiredService<TokenIssuerClient>().VerifyRequestObjectAsync(
            new VerifyRequestObjectRequest { ClientId = clientId, Request = requestObject }, cancellationToken: cancellationToken);
        return reply.Valid ? new(RequestParameters.FromSingle(reply.Parameters), true, null) : new(null, false, reply.Problem);
    }

    private const string NoClient = "The request names no client (client_id is missing or malformed).";
}
