using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Clients;

namespace OAuthAspire.Token.Grants;

/// <summary>A token request whose client has been authenticated and allowed the grant.</summary>
public sealed record TokenRequest(HttpContext Http, RequestParameters Form, RegisteredClient Client, string GrantType)
{
    public string? RemoteAddress => Http.Connection.RemoteIpAddress?.ToString();

    public CancellationToken Aborted => Http.RequestAborted;
}

/// <summary>What a grant handler decided.</summary>
public abstract record GrantOutcome
{
    public sealed record Issued(TokenResponse Response) : GrantOutcome;

    /// <param name="Reason">Why, for the audit trail (may say more than the response does).</param>
    /// <param name="Audited">The grant already wrote its own, more specific refusal event.</param>
    public sealed record Refused(ProtocolError Error, string Reason, bool Audited = false) : GrantOutcome;

    public static Refused Refuse(ProtocolError error, string? reason = null) => new(error, reason ?? error.Description);
}
