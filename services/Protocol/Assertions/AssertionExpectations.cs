namespace OAuthAspire.Protocol.Assertions;

/// <summary>Who must have issued the assertion, for whom, and whether the audience must be the issuer alone.</summary>
public sealed record AssertionExpectations(string Issuer, IReadOnlyCollection<string> Audiences, bool SoleAudience = false, string? Subject = null);
