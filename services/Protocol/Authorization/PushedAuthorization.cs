using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Authorization;

/// <summary>
/// Pushed authorization requests (RFC 9126): the client posts its authorization request to the
/// server, authenticated, and sends the browser to the authorization endpoint with only its
/// <c>client_id</c> and the <c>request_uri</c> it got back, so nothing of the request can be read or
/// changed on the way. The rules of a push, apart from the authorization request's own.
/// </summary>
public static class PushedAuthorization
{
    /// <summary>§2.2: the URN namespace of the request URIs this server hands out.</summary>
    public const string RequestUriPrefix = "urn:ietf:params:oauth:request_uri:";

    /// <summary>§2.2: short, since the client sends the user on at once (FAPI 2.0 asks for under 600 s).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>
    /// What is never stored with the request: the client's credentials, which authenticate the push, and
    /// a request object, whose claims are stored in its place.
    /// </summary>
    public static readonly IReadOnlySet<string> UnstoredParameters =
        new HashSet<string>(StringComparer.Ordinal) { "client_secret", "client_assertion", "client_assertion_type", "request" };

    private const int RandomBytes = 32;

    /// <summary>What one push may keep: an authorization request is a few hundred bytes; this bounds what anyone can park.</summary>
    public const int MaxStoredLength = 8 * 1024;

    /// <summary>A new request URI and the hash the token service stores it under (it keeps no URI).</summary>
    public static (string RequestUri, byte[] Hash) NewRequestUri()
    {
        var requestUri = RequestUriPrefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(RandomBytes));
        return (requestUri, Hash(requestUri));
    }

    /// <summary>The hash to look a request URI up by; null for anything this server cannot have issued.</summary>
    public static byte[]? HashOf(string? requestUri) =>
        requestUri is not null && requestUri.StartsWith(RequestUriPrefix, StringComparison.Ordinal)
            && requestUri.Length == RequestUriPrefix.Length + Base64UrlEncoder.Encode(new byte[RandomBytes]).Length
            ? Hash(requestUri)
            : null;

    /// <summary>
    /// §2.1: what a push may not carry, before its authorization parameters are checked: a
    /// <c>request_uri</c> (a push cannot point at another), a <c>client_id</c> other than the
    /// authenticated client's, control characters, or more than
    /// <see cref="MaxStoredLength"/> in all.
    /// </summary>
    public static ProtocolError? CheckPush(RequestParameters form, string authenticatedClientId)
    {
        var length = 0;
        foreach (var (name, value) in form.Values)
        {
            if (name.Any(char.IsControl) || value.Any(char.IsControl))
            {
                return ProtocolError.InvalidRequest($"The '{(name.Any(char.IsControl) ? "?" : name)}' parameter holds a control character.");
            }

            length += name.Length + value.Length;
        }

        if (length > MaxStoredLength)
        {
            return ProtocolError.InvalidRequest("The pushed authorization request is too large.");
        }

        if (form.Contains("request_uri"))
        {
            return ProtocolError.InvalidRequest("request_uri is not allowed in a pushed authorization request (RFC 9126 §2.1).");
        }

        // Before the values are stored joined by spaces: each must be one URI on its own.
        if (Resources.ResourceIndicators.Read(form, out _) is { } resourceProblem)
        {
            return ProtocolError.InvalidTarget(resourceProblem);
        }

        return form["client_id"] is { } clientId && clientId != authenticatedClientId
            ? ProtocolError.InvalidRequest("client_id differs from the authenticated client.")
            : null;
    }

    /// <summary>
    /// §2.3: the authorization endpoint's verdict on the pushed parameters, as the push's JSON error;
    /// null when the request is good. Only the code flow is pushed: its code is what spends the request.
    /// </summary>
    public static ProtocolError? ErrorOf(AuthorizationValidation validation) => validation switch
    {
        AuthorizationValidation.ErrorPage page => ProtocolError.InvalidRequest(page.Description),
        AuthorizationValidation.ErrorRedirect redirect => new ProtocolError(redirect.Error, redirect.Description, 400),
        AuthorizationValidation.Valid { Request.ResponseType: not "code" } => new ProtocolError(OAuthErrorCodes.UnsupportedResponseType,
            "Only the authorization code flow (response_type=code) is pushed.", 400),
        _ => null,
    };

    /// <summary>The parameters kept for the authorization endpoint: the request's own, without credentials, naming the client.</summary>
    public static Dictionary<string, string> Stored(RequestParameters form, string clientId)
    {
        var stored = form.Values.Where(kv => !UnstoredParameters.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        stored["client_id"] = clientId;
        return stored;
    }

    private static byte[] Hash(string requestUri) => SHA256.HashData(Encoding.UTF8.GetBytes(requestUri));
}
