using System.Text.Json;
using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>
/// The <c>cnf</c> claim (RFC 7800 §3.1): the key a token is bound to, as the RFC 7638 thumbprint of
/// a DPoP key (RFC 9449 §6.1) or the SHA-256 thumbprint of a client certificate (RFC 8705 §3.1).
/// </summary>
public sealed record Confirmation(
    [property: JsonPropertyName("jkt")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Jkt,
    [property: JsonPropertyName("x5t#S256")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? X5tS256)
{
    public const string ClaimName = "cnf";
    private const string JktMember = "jkt";
    private const string X5tS256Member = "x5t#S256";

    /// <summary>Binds to nothing: written as no <c>cnf</c> claim at all.</summary>
    [JsonIgnore]
    public bool IsEmpty => string.IsNullOrEmpty(Jkt) && string.IsNullOrEmpty(X5tS256);

    /// <summary>
    /// The claim's value for <see cref="Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler"/>,
    /// which writes a dictionary as a JSON object.
    /// </summary>
    public Dictionary<string, object> ToClaimValue()
    {
        var value = new Dictionary<string, object>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(Jkt))
        {
            value[JktMember] = Jkt;
        }

        if (!string.IsNullOrEmpty(X5tS256))
        {
            value[X5tS256Member] = X5tS256;
        }

        return value;
    }

    /// <summary>Reads a <c>cnf</c> claim's value; null when it is no object or names no key we know.</summary>
    public static Confirmation? FromClaimValue(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var confirmation = new Confirmation(Member(value, JktMember), Member(value, X5tS256Member));
        return confirmation.IsEmpty ? null : confirmation;
    }

    private static string? Member(JsonElement value, string name) =>
        value.TryGetProperty(name, out var member) && member.ValueKind == JsonValueKind.String ? member.GetString() : null;
}
