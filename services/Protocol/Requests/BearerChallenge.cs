namespace OAuthAspire.Protocol.Requests;

/// <summary>
/// The <c>WWW-Authenticate</c> values of RFC 6750 §3 a resource server answers with. Descriptions
/// and scopes go in quoted strings unescaped: callers pass only fixed text and scope names (no quote).
/// </summary>
public static class BearerChallenge
{
    /// <summary>No bearer token: the scheme alone, no error code (§3.1).</summary>
    public const string Missing = "Bearer";

    /// <summary>A malformed Authorization header (400).</summary>
    public const string InvalidRequest = "Bearer error=\"invalid_request\"";

    /// <summary>A token that is not valid here (401), with why.</summary>
    public static string InvalidToken(string description) => $"Bearer error=\"invalid_token\", error_description=\"{description}\"";

    /// <summary>
    /// A challenge (of either scheme) naming the API's protected resource metadata (RFC 9728 §5.1),
    /// so a client that met the API first learns where to get a token; unchanged when there is none.
    /// </summary>
    public static string WithResourceMetadata(string challenge, string? metadataUrl) =>
        metadataUrl is null ? challenge
        : challenge.Contains(' ') ? $"{challenge}, resource_metadata=\"{metadataUrl}\""
        : $"{challenge} resource_metadata=\"{metadataUrl}\"";

    /// <summary>A valid token without the scope the call needs (403), naming the scopes that would pass, if any.</summary>
    public static string InsufficientScope(IReadOnlyList<string> scopes) =>
        scopes.Count == 0
            ? "Bearer error=\"insufficient_scope\""
            : $"Bearer error=\"insufficient_scope\", scope=\"{string.Join(' ', scopes)}\"";
}
