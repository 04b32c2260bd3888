using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>An introspection response (RFC 7662 §2.2). Inactive responses say nothing more.</summary>
public sealed record IntrospectionResponse
{
    public static readonly IntrospectionResponse Inactive = new() { Active = false };

    [JsonPropertyName("active")] public required bool Active { get; init; }

    [JsonPropertyName("scope")] public string? Scope { get; init; }

    [JsonPropertyName("client_id")] public string? ClientId { get; init; }

    [JsonPropertyName("username")] public string? UserName { get; init; }

    [JsonPropertyName("token_type")] public string? TokenType { get; init; }

    [JsonPropertyName("exp")] public long? Exp { get; init; }

    [JsonPropertyName("iat")] public long? Iat { get; init; }

    [JsonPropertyName("sub")] public string? Sub { get; init; }

    [JsonPropertyName("aud")] public string? Aud { get; init; }

    [JsonPropertyName("iss")] public string? Iss { get; init; }

    [JsonPropertyName("jti")] public string? Jti { get; init; }

    /// <summary>The key the token is bound to (RFC 9449 §6.2, RFC 8705 §3.2), so a resource server can check the proof.</summary>
    [JsonPropertyName("cnf")] public Confirmation? Cnf { get; init; }

    public static IntrospectionResponse For(AccessTokenContent token) => new()
    {
        Active = true,
        Scope = token.Scope,
        ClientId = token.ClientId,
        UserName = token.UserName,
        // RFC 9449 §6.2: a token bound to a DPoP key is of type DPoP.
        TokenType = string.IsNullOrEmpty(token.Cnf?.Jkt) ? "Bearer" : Dpop.DpopProtocol.TokenType,
        Exp = token.ExpiresAt.ToUnixTimeSeconds(),
        Iat = token.IssuedAt.ToUnixTimeSeconds(),
        Sub = token.Subject,
        Aud = token.Audience,
        Iss = token.Issuer,
        Jti = token.Jti,
        Cnf = token.Cnf is { IsEmpty: false } ? token.Cnf : null,
    };
}
