using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol.Errors;

/// <summary>An RFC 6749 §5.2 error response body.</summary>
public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description = null);
