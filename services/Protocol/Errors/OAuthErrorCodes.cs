namespace OAuthAspire.Protocol.Errors;

/// <summary>Error codes of RFC 6749, 6750, 7009, 8628, 8693, 9449 and OpenID Connect Core.</summary>
public static class OAuthErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidScope = "invalid_scope";
    public const string InvalidTarget = "invalid_target";
    public const string AccessDenied = "access_denied";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string ServerError = "server_error";
    public const string TemporarilyUnavailable = "temporarily_unavailable";
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";
    public const string UnsupportedTokenType = "unsupported_token_type";
    public const string LoginRequired = "login_required";
    public const string ConsentRequired = "consent_required";
    public const string InteractionRequired = "interaction_required";

    /// <summary>A DPoP proof that fails RFC 9449 §4.3 (§5, §7.1).</summary>
    public const string InvalidDpopProof = "invalid_dpop_proof";

    /// <summary>The request object is invalid (RFC 9101 §6.3, OpenID Connect Core §3.1.2.6).</summary>
    public const string InvalidRequestObject = "invalid_request_object";

    /// <summary>The <c>request_uri</c> is unknown, expired, used, or not this server's (RFC 9101 §7, RFC 9126 §4).</summary>
    public const string InvalidRequestUri = "invalid_request_uri";

    /// <summary>The proof must carry the server's nonce, sent back in the DPoP-Nonce header (RFC 9449 §8, §9).</summary>
    public const string UseDpopNonce = "use_dpop_nonce";

    /// <summary>RFC 8628 §3.5: the user has not answered yet; poll again after the interval.</summary>
    public const string AuthorizationPending = "authorization_pending";

    /// <summary>RFC 8628 §3.5: polled too soon; the interval grows by 5 seconds for this and every later poll.</summary>
    public const string SlowDown = "slow_down";

    /// <summary>RFC 8628 §3.5: the device code expired; start again.</summary>
    public const string ExpiredToken = "expired_token";
}
