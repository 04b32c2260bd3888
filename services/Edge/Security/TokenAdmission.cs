using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Admits a bearer token (RFC 6750) to the APIs: one of this issuer's access tokens, valid (signature,
/// type, issuer, an audience of ours, lifetime), not revoked, not cut off, of an active client; or, off the admin
/// APIs, a trusted provider's token that federation-trust accepts (third-party ID token flow): a JWT
/// of another issuer, or an opaque token (introspected at the provider its prefix names).
/// </summary>
public sealed class TokenAdmission(EdgeSettings settings, JwksCache jwks, ValidatedTokens validated, TimeProvider time,
    RevocationList revocations, CutOffs cutOffs, ClientStatus clients, FederatedTokens federated, ApiPolicySnapshot policies)
{
    private const string Invalid = "The access token is invalid.";
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly AccessTokenValidator _validator = new();

    /// <param name="adminApi">The call is to the admin APIs, which accept this issuer's tokens only.</param>
    /// <param name="remoteAddress">The caller's address, for federation-trust's audit of a provider's token.</param>
    public async ValueTask<Admission> AdmitAsync(string token, bool adminApi, IPAddress? remoteAddress, CancellationToken cancellationToken)
    {
        // A token validated before under the same keys skips parsing and the signature check;
        // revocation and the client's state are checked on every call all the same.
        var keys = await jwks.KeysAsync(cancellationToken);
        if (validated.Find(token, keys, time.GetUtcNow(), ClockSkew) is not { } known)
        {
            JsonWebToken jwt;
            try
            {
                jwt = new JsonWebToken(token);
            }
            catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
            {
                // Ours are all JWTs: an opaque token can only be a trusted provider's.
                return await AdmitFederatedAsync(token, adminApi, remoteAddress, cancellationToken);
            }

            // Ours, or a trusted provider's: told apart by the issuer.
            if (jwt.Issuer != settings.Issuer)
            {
                return await AdmitFederatedAsync(token, adminApi, remoteAddress, cancellationToken);
            }

            var (checkedContent, invalid) = await ValidateAsync(token, jwt, keys, cancellationToken);
            if (checkedContent is null)
            {
                return Admission.Refused(invalid);
            }

            known = checkedContent;
        }

        if (revocations.IsRevoked(known.Jti))
        {
            return Admission.Refused("The access token was revoked.");
        }

        if (cutOffs.Refuses(known))
        {
            return Admission.Refused("The access token was issued before its user's or client's access was withdrawn.");
        }

        return await clients.GetAsync(known.ClientId, cancellationToken) is { Active: true } client
            ? new Admission(new AdmittedCaller(known, client), null)
            : Admission.Refused("The access token's client is not active.");
    }

    /// <summary>
    /// A trusted provider's token: federation-trust validates and maps it (remembered until it
    /// expires, see <see cref="FederatedTokens"/>). Never on the admin APIs.
    /// </summary>
    private async ValueTask<Admission> AdmitFederatedAsync(string token, bool adminApi, IPAddress? remoteAddress, CancellationToken cancellationToken)
    {
        if (adminApi)
        {
            return Admission.Refused("Only this issuer's tokens are accepted on the admin APIs.");
        }

        if (RefreshTokens.IsOwn(token))
        {
            // One of our refresh tokens sent as a bearer token: never passed on to anyone.
            return Admission.Refused("A refresh token is not an access token.");
        }

        return await federated.ValidateAsync(token, remoteAddress?.ToString(), cancellationToken) is { } identity
            ? new Admission(new AdmittedCaller(identity), null)
            : Admission.Refused(Invalid);
    }

    /// <summary>Checks what the token states (signature, type, issuer, audience, lifetime) and remembers it when valid.</summary>
    private async Task<(AccessTokenContent? Content, string Failure)> ValidateAsync(string text, JsonWebToken token, IReadOnlyList<SecurityKey> keys,
        CancellationToken cancellationToken)
    {
        // Any audience of ours here; whether it is this API's is decided by the call's path (ApiAccessDecider).
        var audiences = (await policies.GetAsync(cancellationToken)).Set.Audiences;
        var result = await _validator.ValidateAsync(token, settings.Issuer, audiences, keys, ClockSkew);
        if (result.Failure == TokenFailure.UnknownKey && await jwks.RefreshForAsync(token.Kid, cancellationToken))
        {
            keys = await jwks.KeysAsync(cancellationToken);
            result = await _validator.ValidateAsync(token, settings.Issuer, audiences, keys, ClockSkew);
        }

        if (!result.IsValid)
        {
            return (null, result.Failure switch
            {
                TokenFailure.Expired => "The access token expired.",
                TokenFailure.WrongType => "The token is not an access token.",
                _ => Invalid,
            });
        }

        validated.Add(text, keys, result.Token!);
        return (result.Token, "");
    }
}
