using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Authorization;

/// <summary>PKCE (RFC 7636) with S256 only: "plain" (the default when no method is sent) is refused.</summary>
public static class Pkce
{
    public const string S256 = "S256";

    /// <summary>43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).</summary>
    public static bool IsValidVerifier(string? verifier) =>
        verifier is { Length: >= 43 and <= 128 } && verifier.All(IsUnreserved);

    /// <summary>An S256 challenge is the base64url SHA-256 of a verifier: exactly 43 characters.</summary>
    public static bool IsValidChallenge(string? challenge) =>
        challenge is { Length: 43 } && challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string ChallengeOf(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>Constant-time check of a verifier against the stored S256 challenge.</summary>
    public static bool Verify(string verifier, string challenge) =>
        IsValidVerifier(verifier) && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ChallengeOf(verifier)), Encoding.ASCII.GetBytes(challenge));

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';
}
