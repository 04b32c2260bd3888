namespace OAuthAspire.Protocol.Assertions;

/// <summary>Who must have issued the assertion, for whom, and whether the audience must be the issuer alone.</summary>
/// <param name="AudienceAsString">The <c>aud</c> must be a JSON string, not an array of one (FAPI 2.0 §5.3.2.1, for a fapi2 client).</param>
public sealed record AssertionExpectations(string Issuer, IReadOnlyCollection<string> Audiences, bool SoleAudience = false, string? Subject = null,
    bool AudienceAsString = false);
