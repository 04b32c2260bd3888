using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Federation;

/// <summary>The parts of an RFC 8693 token exchange request we act on.</summary>
public sealed record TokenExchangeRequest(string SubjectToken, string SubjectTokenType);

/// <summary>
/// RFC 8693 request rules: a trusted provider's ID token, JWT or access token as the subject, no actor
/// (delegation is not offered), our access token as the only issued type, and at most our own API
/// as the audience. A <c>resource</c> is an RFC 8707 resource indicator, decided as at every grant.
/// </summary>
public static class TokenExchange
{
    public const string IdTokenType = "urn:ietf:params:oauth:token-type:id_token";
    public const string JwtType = "urn:ietf:params:oauth:token-type:jwt";
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <param name="targets">What <c>audience</c> may name: our default audience and our issuer.</param>
    public static (TokenExchangeRequest? Request, ProtocolError? Error) Read(RequestParameters form, IReadOnlyCollection<string> targets)
    {
        var subject = form["subject_token"];
        var subjectType = form["subject_token_type"];
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(subjectType))
        {
            return (null, ProtocolError.InvalidRequest("subject_token and subject_token_type are required."));
        }

        if (subjectType is not (IdTokenType or JwtType or AccessTokenType))
        {
            return (null, ProtocolError.InvalidRequest($"subject_token_type must be {IdTokenType}, {JwtType} or {AccessTokenType}."));
        }

        if (form.Contains("actor_token") || form.Contains("actor_token_type"))
        {
            return (null, ProtocolError.InvalidRequest("Delegation (actor_token) is not supported."));
        }

        if (form["requested_token_type"] is { } requested && requested != AccessTokenType)
        {
            return (null, ProtocolError.InvalidRequest($"Only {AccessTokenType} can be issued."));
        }

        if (form["audience"] is { } audience && !targets.Contains(audience))
        {
            return (null, new ProtocolError(OAuthErrorCodes.InvalidTarget, $"The audience '{Short(audience)}' is not served here.", 400));
        }

        return (new TokenExchangeRequest(subject, subjectType), null);
    }

    private static string Short(string value) => value.Length > 100 ? value[..100] + "…" : value;
}
