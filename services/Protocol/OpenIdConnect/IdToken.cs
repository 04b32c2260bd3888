using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Protocol.OpenIdConnect;

/// <summary>What an ID token states about a sign-in (OpenID Connect Core §2).</summary>
public sealed record IdTokenContent(
    string Issuer,
    string Subject,
    string ClientId,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset AuthTime,
    string? Nonce,
    string? AccessTokenHash,
    string? SessionId,
    IReadOnlyList<string> Amr,
    string Acr);

/// <summary>Shapes and signs ID tokens: RS256 unless the client registered another (<see cref="SigningAlgorithms"/>).</summary>
public static class IdToken
{
    /// <summary>The default (OpenID Connect Core §3.1.3.7: RS256 unless the client registered another).</summary>
    public const string Algorithm = SecurityAlgorithms.RsaSha256;

    /// <summary>Authentication context: a password sign-in, no second factor (ISO/IEC 29115 level 1).</summary>
    public const string PasswordAcr = "1";

    /// <summary>Authentication context: the user signed in at a trusted provider (identity brokering); amr then holds the provider's RFC 8176 methods.</summary>
    public const string FederatedAcr = "urn:oauthaspire:acr:federated";

    /// <summary>
    /// Kept with a session's methods to mark a sign-in through a trusted provider; never emitted as an
    /// amr value (RFC 8176 registers none for it): it becomes <see cref="FederatedAcr"/>.
    /// </summary>
    public const string FederatedMarker = "fed";

    public static IdTokenContent Describe(Issuer issuer, string subject, string clientId, DateTimeOffset now, TimeSpan lifetime, DateTimeOffset authTime,
        string? nonce, string? accessToken, string? sessionId, IReadOnlyList<string> amr)
    {
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var federated = amr.Contains(FederatedMarker);
        return new IdTokenContent(issuer.Value, subject, clientId, issuedAt, issuedAt + lifetime, DateTimeOffset.FromUnixTimeSeconds(authTime.ToUnixTimeSeconds()),
            nonce, accessToken is null ? null : AccessTokenHash(accessToken), sessionId, federated ? [.. amr.Where(m => m != FederatedMarker)] : amr,
            federated ? FederatedAcr : PasswordAcr);
    }

    /// <summary>at_hash (Core §3.1.3.6): base64url of the left half of SHA-256 of the access token's ASCII (every algorithm offered hashes with SHA-256).</summary>
    public static string AccessTokenHash(string accessToken)
    {
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(accessToken));
        return Base64UrlEncoder.Encode(hash.AsSpan(0, hash.Length / 2).ToArray());
    }

    public static Dictionary<string, object> Claims(IdTokenContent token)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Iss] = token.Issuer,
            [JwtRegisteredClaimNames.Sub] = token.Subject,
            [JwtRegisteredClaimNames.Aud] = token.ClientId,
            [JwtRegisteredClaimNames.Iat] = token.IssuedAt.ToUnixTimeSeconds(),
            [JwtRegisteredClaimNames.Exp] = token.ExpiresAt.ToUnixTimeSeconds(),
            [JwtRegisteredClaimNames.AuthTime] = token.AuthTime.ToUnixTimeSeconds(),
            [JwtRegisteredClaimNames.Acr] = token.Acr,
        };
        if (token.Amr.Count > 0)
        {
            // A provider that said nothing of how its user signed in leaves amr out, rather than empty.
            claims[JwtRegisteredClaimNames.Amr] = token.Amr.ToArray();
        }

        if (token.Nonce is not null)
        {
            claims[JwtRegisteredClaimNames.Nonce] = token.Nonce;
        }

        if (token.AccessTokenHash is not null)
        {
            claims[JwtRegisteredClaimNames.AtHash] = token.AccessTokenHash;
        }

        if (token.SessionId is not null)
        {
            claims[JwtRegisteredClaimNames.Sid] = token.SessionId;
        }

        return claims;
    }

    public static string Sign(IdTokenContent token, SigningCredentials credentials, JsonWebTokenHandler handler)
    {
        if (!SigningAlgorithms.IsSupported(credentials.Algorithm))
        {
            throw new ArgumentException($"ID tokens are signed with {string.Join(", ", SigningAlgorithms.Supported)} only.", nameof(credentials));
        }

        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = Claims(token),
            TokenType = "JWT",
            SigningCredentials = credentials,
        });
    }

    /// <summary>
    /// OpenID Connect Core §3.1.2.1: with max_age the user must have signed in within that many
    /// seconds, else sign in again.
    /// </summary>
    public static bool SatisfiesMaxAge(DateTimeOffset authTime, int? maxAge, DateTimeOffset now) =>
        maxAge is null || (now - authTime).TotalSeconds <= maxAge.Value;
}
