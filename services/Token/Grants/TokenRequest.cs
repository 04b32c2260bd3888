using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token.Grants;

/// <summary>A token request whose client has been authenticated and allowed the grant.</summary>
/// <param name="Jkt">The thumbprint of the key its DPoP proof showed (RFC 9449), or null for a bearer token.</param>
/// <param name="X5t">The thumbprint of the client certificate its tokens are bound to (RFC 8705 §3), or null.</param>
public sealed record TokenRequest(HttpContext Http, RequestParameters Form, RegisteredClient Client, string GrantType, string? Jkt = null, string? X5t = null)
{
    /// <summary>
    /// The token's content, bound to the proof's key (<c>cnf.jkt</c>, RFC 9449 §6.1) and to the client
    /// certificate (<c>cnf.x5t#S256</c>, RFC 8705 §3.1), as the request asked, and signed as the client registered.
    /// </summary>
    public AccessTokenContent Bind(AccessTokenContent content) =>
        (Jkt is null && X5t is null ? content : content with { Cnf = new Confirmation(Jkt, X5t) }) with { Algorithm = Client.AccessTokenSigningAlg };

    /// <summary><c>token_type</c> of the response: DPoP for a bound token (§5.1), else Bearer.</summary>
    public string TokenType => Jkt is null ? "Bearer" : DpopProtocol.TokenType;

    /// <summary>The key refresh tokens issued now are bound to (§5): a public client's proof key; a confidential client's are not bound.</summary>
    public string? RefreshJkt => Client.Public ? Jkt : null;

    /// <summary>The certificate refresh tokens issued now are bound to (RFC 8705 §4): a public client's only.</summary>
    public string? RefreshX5t => Client.Public ? X5t : null;

    public string? RemoteAddress => Http.Connection.RemoteIpAddress?.ToString();

    /// <summary>The access token's audience and scopes (RFC 8707): the API this request's <c>resource</c> names, or the default audience.</summary>
    /// <param name="grant">The resources the grant was authorized for; null where no earlier grant limits them.</param>
    public async ValueTask<TokenTarget> TargetAsync(TokenTargets targets, IReadOnlyList<string>? grant, IReadOnlyList<string> scopes) =>
        ResourceIndicators.Read(Form, out var requested) is { } problem
            ? TokenTarget.Refused(problem)
            : await targets.ForAsync(requested, grant, scopes, Client.AllowedResources, Aborted);

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
