using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Clients;

namespace OAuthAspire.Token.Grants;

/// <summary>A token request whose client has been authenticated and allowed the grant.</summary>
/// <param name="Jkt">The thumbprint of the key its DPoP proof showed (RFC 9449), or null for a bearer token.</param>
public sealed record TokenRequest(HttpContext Http, RequestParameters Form, RegisteredClient Client, string GrantType, string? Jkt = null)
{
    /// <summary>The token's content, bound to the proof's key (<c>cnf.jkt</c>, RFC 9449 §6.1) when there was a proof.</summary>
    public AccessTokenContent Bind(AccessTokenContent content) => Jkt is null ? content : content with { Cnf = new Confirmation(Jkt, null) };

    /// <summary><c>token_type</c> of the response: DPoP for a bound token (§5.1), else Bearer.</summary>
    public string TokenType => Jkt is null ? "Bearer" : DpopProtocol.TokenType;

    /// <summary>The key refresh tokens issued now are bound to (§5): a public client's proof key; a confidential client's are not bound.</summary>
    public string? RefreshJkt => Client.Public ? Jkt : null;

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
