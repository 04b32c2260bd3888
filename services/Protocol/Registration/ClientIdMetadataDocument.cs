using System.Text.Json;
using System.Text.Json.Nodes;
using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Registration;

/// <summary>
/// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client_id that is
/// an https URL names a JSON document, published there by the client, holding its metadata. The URL
/// must be plain enough to compare by exact string (§3); the document must name itself, may not
/// hold a shared secret or private key, and only public clients and <c>private_key_jwt</c> can use
/// one (§4.1): nobody registered a secret with the server. A document is kept for its
/// <c>max-age</c>, within [5 minutes, 24 hours] (§5.2).
/// </summary>
public static class ClientIdMetadataDocument
{
    /// <summary>The origin of a client that came from its document.</summary>
    public const string Origin = "metadata_document";

    /// <summary>§8.7: documents are small; a larger one is refused, not read.</summary>
    public const int MaxBytes = 5 * 1024;

    public static readonly TimeSpan MinCache = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxCache = TimeSpan.FromHours(24);

    // Members a document may not carry (§4.1): the server never shares a secret with such a client.
    private static readonly string[] Forbidden = ["client_secret", "client_secret_expires_at"];
    private static readonly string[] PrivateJwkMembers = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

    /// <summary>Whether a client_id is meant as a document's URL (admin client ids cannot hold a colon).</summary>
    public static bool IsUrl(string? clientId) =>
        clientId is not null && (clientId.StartsWith("https://", StringComparison.Ordinal) || clientId.StartsWith("http://", StringComparison.Ordinal));

    /// <summary>Null when the URL may be a client_id (§3), else why not.</summary>
    /// <param name="allowHttpLoopback">Development: http on a loopback host.</param>
    public static string? UrlProblem(string clientId, bool allowHttpLoopback)
    {
        if (clientId.Length > Identifiers.MaxClientIdLength || !Identifiers.IsVsChars(clientId) || !Uri.TryCreate(clientId, UriKind.Absolute, out var uri))
        {
            return $"must be an absolute URL of at most {Identifiers.MaxClientIdLength} characters";
        }

        if (!(uri.Scheme == Uri.UriSchemeHttps || (allowHttpLoopback && uri.Scheme == Uri.UriSchemeHttp && ClientRules.IsLoopback(uri))))
        {
            return "must use https";
        }

        var path = clientId[(clientId.IndexOf("//", StringComparison.Ordinal) + 2)..];
        path = path.Contains('/') ? path[path.IndexOf('/')..] : "";
        return uri.UserInfo.Length > 0 || clientId.Contains('#') || clientId.Contains('?') ? "must have no user information, query or fragment"
            : path.Length <= 1 ? "must have a path"
            : path.Split('/').Any(segment => segment is "." or "..") ? "must have no dot segments"
            // Compared by exact string, so it must be the form the fetch uses: no default port, a lower-case host, nothing escaped to hide a dot.
            : uri.AbsoluteUri != clientId || clientId.Contains("%2e", StringComparison.OrdinalIgnoreCase) || clientId.Contains('\\')
                ? "must be in its normal form (lower-case host, no default port, no escaped dots)"
            : null;
    }

    /// <summary>The client's metadata from its document (RFC 7591 members), or why the document is refused.</summary>
    public static (ClientMetadata? Metadata, RegistrationError? Error) Read(JsonElement document, string url, bool allowHttpLoopback)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            return (null, RegistrationError.Metadata("document", "must be a JSON object"));
        }

        if (ClientMetadata.RepeatedMember(document) is not null)
        {
            return (null, RegistrationError.Metadata("document", "must name each member once"));
        }

        if (!document.TryGetProperty("client_id", out var named) || named.ValueKind != JsonValueKind.String || named.GetString() != url)
        {
            return (null, RegistrationError.Metadata("client_id", "must be the document's own URL"));
        }

        if (Forbidden.FirstOrDefault(name => document.TryGetProperty(name, out _)) is { } secret)
        {
            return (null, RegistrationError.Metadata(secret, "a metadata document holds no shared secret"));
        }

        if (document.TryGetProperty("jwks", out var jwks) && jwks.ValueKind == JsonValueKind.Object && jwks.TryGetProperty("keys", out var keys)
            && keys.ValueKind == JsonValueKind.Array
            && keys.EnumerateArray().Any(k => k.ValueKind == JsonValueKind.Object && PrivateJwkMembers.Any(m => k.TryGetProperty(m, out _))))
        {
            return (null, RegistrationError.Metadata("jwks", "must hold public keys only"));
        }

        // Without a method named, the client is public: RFC 7591's default (client_secret_basic) has no secret to use here.
        var root = document;
        if (!document.TryGetProperty("token_endpoint_auth_method", out _))
        {
            var withMethod = JsonNode.Parse(document.GetRawText())!.AsObject();
            withMethod["token_endpoint_auth_method"] = ClientAuthentication.None;
            root = JsonSerializer.SerializeToElement(withMethod);
        }

        var (metadata, error) = ClientMetadata.Read(root, allowHttpLoopback);
        if (error is not null)
        {
            return (null, error);
        }

        return metadata!.TokenEndpointAuthMethod is ClientAuthentication.None or ClientAuthentication.PrivateKeyJwt
            ? (metadata, null)
            : (null, RegistrationError.Metadata("token_endpoint_auth_method", "must be none or private_key_jwt for a metadata document"));
    }

    /// <summary>How long a fetched document is kept: its Cache-Control max-age, within the bounds.</summary>
    public static TimeSpan CacheLifetime(TimeSpan? maxAge) =>
        maxAge is not { } age ? MinCache : age < MinCache ? MinCache : age > MaxCache ? MaxCache : age;
}
