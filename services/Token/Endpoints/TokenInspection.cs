using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.Keys;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// Decides whether one of our access tokens is still good: signed by a published key, of type
/// at+jwt, for our default audience or an API's (RFC 8707), unexpired, not revoked, not cut off with its user or client, and its client still active.
/// </summary>
public sealed class TokenInspection(SigningKeys keys, Issuer issuer, TokenTargets targets, RevocationStore revocations,
    RegisteredClients clients)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly AccessTokenValidator _validator = new();

    /// <summary>The token's content when it is active, else null.</summary>
    public async Task<AccessTokenContent?> ActiveAsync(string token, CancellationToken cancellationToken)
    {
        var validation = await _validator.ValidateAsync(token, issuer.Value, await targets.AudiencesAsync(cancellationToken), keys.ValidationKeys, ClockSkew);
        if (!validation.IsValid || await revocations.RefusesAsync(validation.Token!, cancellationToken))
        {
            return null;
        }

        return await clients.FindAsync(validation.Token!.ClientId, cancellationToken) is { Active: true } ? validation.Token : null;
    }

    /// <summary>
    /// The token's content when it is ours and correctly signed, whatever its audience and even if
    /// expired: revocation needs no more, and an API's policy since deleted must not make its tokens irrevocable.
    /// </summary>
    public async Task<AccessTokenContent?> OursAsync(string token)
    {
        var validation = await _validator.ValidateAsync(token, issuer.Value, (IEnumerable<string>?)null, keys.ValidationKeys, TimeSpan.FromDays(3650));
        return validation.Token;
    }
}
