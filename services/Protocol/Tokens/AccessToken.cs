using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Scopes;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>
/// What an access token states (RFC 9068 §2.2). <see cref="Cnf"/> binds it to a key (RFC 7800): a
/// DPoP key's thumbprint makes it usable only with proofs signed by that key (RFC 9449 §6).
/// <see cref="Algorithm"/> is what it is signed with (the client's <c>accessTokenSigningAlg</c>; null:
/// the server's default), not a claim.
/// </summary>
public sealed record AccessTokenContent(
    string Issuer,
    string Audience,
    string ClientId,
    string Subject,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Roles,
    string Jti,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string? UserName = null,
    Confirmation? Cnf = null,
    string? Algorithm = null)
{

    public string Scope => ScopeSet.Format(Scopes);
}

/// <summary>Shapes and signs RFC 9068 JWT access tokens.</summary>
public static class AccessToken
{
    public const string JwtType = "at+jwt";

    /// <summary>A random, unguessable token id: 128 bits, base64url.</summary>
    public static string NewJti() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));

    public static AccessTokenContent Describe(Issuer issuer, string audience, string clientId, string subject,
        IReadOnlyList<string> scopes, IReadOnlyList<string> roles, TimeSpan lifetime, DateTimeOffset now, string? userName = null)
    {
        // Whole seconds: JWT NumericDate, and iat/exp must agree with expires_in.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        return new AccessTokenContent(issuer.Value, audience, clientId, subject, ScopeSet.Normalize(scopes),
            roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            NewJti(), issuedAt, issuedAt + lifetime, userName);
    }

    /// <summary>The RFC 9068 claim set, plus the user's roles.</summary>
    public static Dictionary<string, object> Claims(AccessTokenContent token)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Iss] = token.Issuer,
            [JwtRegisteredClaimNames.Sub] = token.Subject,
            [JwtRegisteredClaimNames.Aud] = token.Audience,
            ["client_id"] = token.ClientId,
            ["scope"] = token.Scope,
            [JwtRegisteredClaimNames.Jti] = token.Jti,
            [JwtRegisteredClaimNames.Iat] = token.IssuedAt.ToUnixTimeSeconds(),
            [JwtRegisteredClaimNames.Exp] = token.ExpiresAt.ToUnixTimeSeconds(),
        };
        if (token.Roles.Count > 0)
        {
            claims["roles"] = token.Roles.ToArray();
        }

        if (token.UserName is not null)
        {
            claims["username"] = token.UserName;
        }

        // A dictionary, so the handler writes cnf as a JSON object as RFC 7800 §3.1 requires.
        if (token.Cnf is { IsEmpty: false } cnf)
        {
            claims[Confirmation.ClaimName] = cnf.ToClaimValue();
        }

        return claims;
    }

    public static string Sign(AccessTokenContent token, SigningCredentials credentials, JsonWebTokenHandler handler) =>
        handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = Claims(token),
            TokenType = JwtType,
            SigningCredentials = credentials,
        });
}
