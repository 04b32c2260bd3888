using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.OpenIdConnect;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Keys;

namespace OAuthAspire.Token.OpenIdConnect;

/// <summary>Signs ID tokens with the active key of the client's <c>idTokenSignedResponseAlg</c> (RS256 unless it registered another).</summary>
public sealed class IdTokenIssuer(SigningKeys keys, Issuer issuer, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issue(User user, RegisteredClient client, DateTimeOffset authTime, string? nonce, string? accessToken, string? sessionId, IReadOnlyList<string> amr)
    {
        var now = time.GetUtcNow();
        var content = IdToken.Describe(issuer, user.SysId, client.ClientId, now, Lifetime, authTime, nonce, accessToken, sessionId, amr.Count == 0 ? ["pwd"] : amr);
        return IdToken.Sign(content, keys.Signing(client.IdTokenSignedResponseAlg ?? IdToken.Algorithm, now).Credentials, _handler);
    }
}
