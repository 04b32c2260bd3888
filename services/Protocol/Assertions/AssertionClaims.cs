using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Protocol.Assertions;

/// <summary>What an accepted assertion states.</summary>
public sealed record AssertionClaims(string Issuer, string Subject, string? Jti, DateTimeOffset ExpiresAt, JsonWebToken Token);
