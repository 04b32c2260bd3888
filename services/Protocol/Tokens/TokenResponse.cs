using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>A successful token response (RFC 6749 §5.1, RFC 8693 §2.2.1).</summary>
public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken = null,
    [property: JsonPropertyName("id_token")] string? IdToken = null,
    [property: JsonPropertyName("issued_token_type")] string? IssuedTokenType = null);
