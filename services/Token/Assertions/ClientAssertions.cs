using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Token.Assertions;

/// <summary>
/// private_key_jwt client authentication (RFC 7523 §2.2, with draft-ietf-oauth-rfc7523bis):
/// iss = sub = the client id, aud = the issuer and nothing else, a one-time jti, a short life,
/// signed by one of the client's registered keys. Refusals are audited with their reason.
/// </summary>
public sealed class ClientAssertions(VerifierKeys verifierKeys, JtiStore jtis, Issuer issuer, IAuditSink audit, TimeProvider time)
{
    /// <param name="fapi2">The client is held to FAPI 2.0: the assertion's aud is the issuer as a string.</param>
    public async Task<bool> VerifyAsync(string clientId, string assertion, string? remoteAddress, CancellationToken cancellationToken, bool fapi2 = false)
    {
        var settings = await verifierKeys.SettingsAsync(clientId, cancellationToken);
        AssertionResult result;
        if (settings is null)
        {
            result = new AssertionResult(AssertionFailure.UnknownKey, null, "the client has no verifier keys");
        }
        else
        {
            var expected = new AssertionExpectations(clientId, [issuer.Value], SoleAudience: true, Subject: clientId, AudienceAsString: fapi2);
            ValueTask<bool> UseJti(string jti, DateTimeOffset expiresAt) => jtis.TryUseAsync(clientId, jti, expiresAt, cancellationToken);
            result = await JwtAssertion.ValidateAsync(assertion, await verifierKeys.KeysAsync(settings, false, cancellationToken),
                settings.ClientAuthenticationPolicy, expected, time.GetUtcNow(), UseJti);
            if (result.Failure == AssertionFailure.UnknownKey && settings.JwksUri is not null)
            {
                result = await JwtAssertion.ValidateAsync(assertion, await verifierKeys.KeysAsync(settings, true, cancellationToken),
                    settings.ClientAuthenticationPolicy, expected, time.GetUtcNow(), UseJti);
            }
        }

        if (!result.IsValid)
        {
            await audit.WriteAsync(new ClientAssertionRefused(clientId)
            {
                Actor = AuditActor.Client(clientId),
                Outcome = AuditOutcome.Failure,
                Reason = verifierKeys.Explain(result, settings),
                RemoteAddress = remoteAddress,
            }, cancellationToken);
        }

        return result.IsValid;
    }
}
