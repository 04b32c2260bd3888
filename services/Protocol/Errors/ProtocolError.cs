namespace OAuthAspire.Protocol.Errors;

/// <summary>A refusal with its RFC 6749 §5.2 code, description and HTTP status.</summary>
public sealed record ProtocolError(string Error, string Description, int StatusCode)
{
    public static ProtocolError InvalidRequest(string description) => new(OAuthErrorCodes.InvalidRequest, description, 400);

    /// <summary>Client authentication failed: 401 with a challenge (RFC 6749 §5.2).</summary>
    public static ProtocolError InvalidClient(string description) => new(OAuthErrorCodes.InvalidClient, description, 401);

    public static ProtocolError InvalidGrant(string description) => new(OAuthErrorCodes.InvalidGrant, description, 400);

    public static ProtocolError UnauthorizedClient(string description) => new(OAuthErrorCodes.UnauthorizedClient, description, 400);

    public static ProtocolError UnsupportedGrantType(string description) => new(OAuthErrorCodes.UnsupportedGrantType, description, 400);

    public static ProtocolError InvalidScope(string description) => new(OAuthErrorCodes.InvalidScope, description, 400);

    /// <summary>RFC 8707 §2: a resource unknown, malformed, or not for this client or grant.</summary>
    public static ProtocolError InvalidTarget(string description) => new(OAuthErrorCodes.InvalidTarget, description, 400);

    /// <summary>A DPoP proof refused at the token endpoint (RFC 9449 §5).</summary>
    public static ProtocolError InvalidDpopProof(string description) => new(OAuthErrorCodes.InvalidDpopProof, description, 400);

    /// <summary>The token endpoint wants a proof with its nonce (RFC 9449 §8): the caller adds the DPoP-Nonce header.</summary>
    public static ProtocolError UseDpopNonce(string description) => new(OAuthErrorCodes.UseDpopNonce, description, 400);

    public static ProtocolError TemporarilyUnavailable(string description) => new(OAuthErrorCodes.TemporarilyUnavailable, description, 503);

    public OAuthError ToBody() => new(Error, Description);
}
