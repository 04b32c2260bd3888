using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.OpenIdConnect;
using OAuthAspire.Token.Keys;

namespace OAuthAspire.Token.OpenIdConnect;

/// <summary>Signs ID tokens with the active RS256 key (whatever algorithm signs access tokens).</summary>
public sealed class IdTokenIssuer(SigningKeys keys, Issuer issuer, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issue(User user, string clientId, DateTimeOffset authTime, string? nonce, string? accessToken, string? sessionId, IReadOnlyList<string> amr)
    {
        var now = time.GetUtcNow();
        var content = IdToken.Describe(issuer, user.SysId, clientId, now, Lifetime, authTime, nonce, accessToken, sessionId, amr.Count == 0 ? ["pwd"] : amr);
        return IdToken.Sign(content, keys.Signing(IdToken.Algorithm, now).Credentials, _handler);
    }
}
