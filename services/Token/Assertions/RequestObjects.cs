using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Token.Assertions;

/// <summary>
/// Signed request objects (RFC 9101) checked with the client's registered keys (its
/// <c>jwtVerifier</c>: inline keys or JWKS URL, refetched once on an unknown key), for the pushed
/// authorization endpoint and, over gRPC, the authorization endpoint. A <c>jti</c>, when present, is
/// good once across replicas.
/// </summary>
public sealed class RequestObjects(VerifierKeys verifierKeys, JtiStore jtis, Issuer issuer, TimeProvider time)
{
    public async Task<RequestObjectResult> VerifyAsync(string clientId, string requestObject, CancellationToken cancellationToken)
    {
        var settings = await verifierKeys.SettingsAsync(clientId, cancellationToken);
        if (settings is null)
        {
            return RequestObjectResult.Refused("The client registered no keys to sign request objects with (jwtVerifier).");
        }

        var policy = settings.ClientAuthenticationPolicy;
        var result = await RequestObject.ValidateAsync(requestObject, clientId, issuer.Value, await verifierKeys.KeysAsync(settings, false, cancellationToken),
            policy.Algorithms, policy.ClockSkew, time.GetUtcNow());
        if (result.UnknownKey && settings.JwksUri is not null)
        {
            result = await RequestObject.ValidateAsync(requestObject, clientId, issuer.Value, await verifierKeys.KeysAsync(settings, true, cancellationToken),
                policy.Algorithms, policy.ClockSkew, time.GetUtcNow());
        }

        // Remembered as long as the object is accepted; apart from the client's assertions' ids.
        if (result is { IsValid: true, Jti: { } jti } && !await jtis.TryUseAsync($"request-object {clientId}", jti, result.ExpiresAt + policy.ClockSkew, cancellationToken))
        {
            return RequestObjectResult.Refused("The request object was used before (its jti).");
        }

        return result;
    }
}
