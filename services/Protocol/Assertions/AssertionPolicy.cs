using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Assertions;

/// <summary>What a client's verifier settings allow (registry field <c>jwtVerifier</c>).</summary>
public sealed record AssertionPolicy(
    IReadOnlyCollection<string> Algorithms,
    TimeSpan ClockSkew,
    TimeSpan MaxLifetime,
    IReadOnlyCollection<string> RequiredClaims,
    bool JtiRequired)
{
    public static readonly IReadOnlyList<string> DefaultAlgorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.RsaSsaPssSha256,
         SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384];
}
