using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>
/// What the server signs with: each algorithm has keys of its own (RS256 and PS256 never share an
/// RSA key), each rotated on schedule; a client may ask for any of them for its access tokens and
/// its ID tokens.
/// </summary>
public static class SigningAlgorithms
{
    public const string RS256 = SecurityAlgorithms.RsaSha256;
    public const string PS256 = SecurityAlgorithms.RsaSsaPssSha256;
    public const string ES256 = SecurityAlgorithms.EcdsaSha256;

    /// <summary>Every algorithm keys are kept for, in the order metadata lists them.</summary>
    public static readonly IReadOnlyList<string> Supported = [RS256, PS256, ES256];

    /// <summary>The ones FAPI 2.0 Security Profile §5.4 allows (EdDSA is not offered).</summary>
    public static readonly IReadOnlyList<string> Fapi = [PS256, ES256];

    public static bool IsSupported(string? algorithm) => algorithm is not null && Supported.Contains(algorithm);
}
