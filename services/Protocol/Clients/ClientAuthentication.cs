using System.Security.Cryptography.X509Certificates;
using System.Text;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Clients;

/// <summary>How the client identified itself on a back-channel request.</summary>
public abstract record ClientCredentials
{
    /// <summary>No client identification at all.</summary>
    public sealed record None : ClientCredentials;

    /// <summary>A client id and secret (RFC 6749 §2.3.1), by <c>client_secret_basic</c> or <c>client_secret_post</c>.</summary>
    public sealed record Secret(string ClientId, string ClientSecret, string Method) : ClientCredentials;

    /// <summary>A client id with no credential: a public client (RFC 6749 §2.3, §3.2.1).</summary>
    public sealed record IdOnly(string ClientId) : ClientCredentials;

    /// <summary>A signed client assertion (RFC 7523 §2.2, <c>private_key_jwt</c>).</summary>
    public sealed record Assertion(string? ClientId, string Jwt) : ClientCredentials;

    /// <summary>
    /// A client id sent with a client certificate on the TLS connection (RFC 8705 §2): the certificate
    /// authenticates a client registered for <c>tls_client_auth</c> or <c>self_signed_tls_client_auth</c>;
    /// a public client's only binds tokens to it.
    /// </summary>
    public sealed record Certificate(string ClientId, X509Certificate2 ClientCertificate) : ClientCredentials;

    public sealed record Invalid(ProtocolError Error) : ClientCredentials;
}

/// <summary>Reads the client's credentials from the Authorization header and the form.</summary>
public static class ClientAuthentication
{
    public const string ClientSecretBasic = "client_secret_basic";
    public const string ClientSecretPost = "client_secret_post";
    public const string PrivateKeyJwt = "private_key_jwt";
    public const string None = "none";
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public static ClientCredentials Read(string? authorization, RequestParameters form)
    {
        var formId = form["client_id"];
        var formSecret = form["client_secret"];
        var assertion = form["client_assertion"];
        var assertionType = form["client_assertion_type"];
        var basic = authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        if (formId is not null && !Identifiers.IsClientId(formId))
        {
            return Invalid(ProtocolError.InvalidClient("Malformed client_id."));
        }

        var methods = (basic ? 1 : 0) + (formSecret is not null ? 1 : 0) + (assertion is not null ? 1 : 0);
        if (methods > 1)
        {
            return Invalid(ProtocolError.InvalidRequest("The client must use exactly one authentication method."));
        }

        if (basic)
        {
            if (!TryDecodeBasic(authorization!["Basic ".Length..], out var id, out var secret) || !Identifiers.IsClientId(id))
            {
                return Invalid(ProtocolError.InvalidClient("Malformed Basic client credentials."));
            }

            if (formId is not null && !string.Equals(formId, id, StringComparison.Ordinal))
            {
                return Invalid(ProtocolError.InvalidRequest("client_id differs from the authenticated client."));
            }

            return new ClientCredentials.Secret(id, secret, ClientSecretBasic);
        }

        if (assertion is not null)
        {
            return assertionType == JwtBearerAssertionType
                ? new ClientCredentials.Assertion(formId, assertion)
                : Invalid(ProtocolError.InvalidRequest("Unsupported client_assertion_type."));
        }

        if (formSecret is not null)
        {
            return formId is null
                ? Invalid(ProtocolError.InvalidRequest("client_secret without client_id."))
                : new ClientCredentials.Secret(formId, formSecret, ClientSecretPost);
        }

        return formId is null ? new ClientCredentials.None() : new ClientCredentials.IdOnly(formId);
    }

    /// <summary>
    /// RFC 6749 §2.3.1: id and secret are form-urlencoded, joined by a colon, then base64-encoded.
    /// </summary>
    public static bool TryDecodeBasic(string encoded, out string clientId, out string clientSecret)
    {
        clientId = clientSecret = "";
        Span<byte> buffer = stackalloc byte[1024];
        if (encoded.Length > 1300 || !Convert.TryFromBase64String(encoded.Trim(), buffer, out var length))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer[..length]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        if (!TryFormDecode(text[..colon], out clientId) || !TryFormDecode(text[(colon + 1)..], out clientSecret))
        {
            return false;
        }

        return clientId.Length > 0 && clientSecret.Length > 0;
    }

    public static string EncodeBasic(string clientId, string clientSecret) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FormEncode(clientId)}:{FormEncode(clientSecret)}"));

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private static bool TryFormDecode(string value, out string decoded)
    {
        try
        {
            decoded = Uri.UnescapeDataString(value.Replace('+', ' '));
            return true;
        }
        catch (UriFormatException)
        {
            decoded = "";
            return false;
        }
    }

    private static ClientCredentials.Invalid Invalid(ProtocolError error) => new(error);
}
