using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Token.Assertions;

/// <summary>
/// Signed request objects (RFC 9101) checked with the client's registered keys (its
/// <c>jwtVerifier</c>: inline keys or JWKS URL, refetched once on an unknown key), for the pushed
/// authorization endpoint and, over gRPC, the authorization endpoint. A <c>jti</c>, when present, is
/// good once across replicas: spent by <see cref="SpendAsync"/> once nothing else can fail the request
/// (a DPoP nonce retry resends the same object).
/// </summary>
public sealed class RequestObjects(VerifierKeys verifierKeys, JtiStore jtis, Issuer issuer, TimeProvider time)
{
    /// <summary>The used_jti owner of a client's request objects: apart from its assertions' (owner: the client id).</summary>
    private static string Owner(string clientId) => $"request-object {clientId}";

    /// <param name="spend">Spend the jti now (the authorization endpoint, where the check is the request's last).</param>
    /// <param name="requireNotBefore">A FAPI 2.0 client's objects carry nbf (FAPI 2.0 §5.3.2.1 by way of JAR, RFC 9101 §10.2).</param>
    public async Task<RequestObjectResult> VerifyAsync(string clientId, string requestObject, bool spend, bool requireNotBefore, CancellationToken cancellationToken)
    {
        var settings = await verifierKeys.SettingsAsync(clientId, cancellationToken);
        if (settings is null)
        {
            return RequestObjectResult.Refused("The client registered no keys to sign request objects with (jwtVerifier).");
        }

        var policy = settings.ClientAuthenticationPolicy;
        var result = await RequestObject.ValidateAsync(requestObject, clientId, issuer.Value, await verifierKeys.KeysAsync(settings, false, cancellationToken),
            policy.Algorithms, policy.ClockSkew, time.GetUtcNow(), requireNotBefore);
        if (result.UnknownKey && settings.JwksUri is not null)
        {
            result = await RequestObject.ValidateAsync(requestObject, clientId, issuer.Value, await verifierKeys.KeysAsync(settings, true, cancellationToken),
                policy.Algorithms, policy.ClockSkew, time.GetUtcNow(), requireNotBefore);
        }

        return spend && result.IsValid && !await SpendAsync(clientId, result, cancellationToken)
            ? RequestObjectResult.Refused("The request object was used before (its jti).")
            : result;
    }

    /// <summary>Spends the object's jti, remembered as long as the object is accepted; false when it was spent before.</summary>
    public async Task<bool> SpendAsync(string clientId, RequestObjectResult result, CancellationToken cancellationToken) =>
        result.Jti is not { } jti || await jtis.TryUseAsync(Owner(clientId), jti, result.ExpiresAt + TimeSpan.FromSeconds(Protocol.Assertions.VerifierSettings.DefaultClockSkew),
            cancellationToken);
}
