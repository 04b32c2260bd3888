using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.Scopes;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 6749 §4.4: a back-end client gets a token for itself. The token runs as the client's
/// application user (ServiceNow), carrying that user's roles; without one, as the client.
/// </summary>
public sealed class ClientCredentialsGrant(ScopeResolver scopes, UserDirectory users, AccessTokenIssuer issuer, Issuer issuerId, TokenTargets targets)
{
    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        var client = request.Client;
        if (client.Public)
        {
            return GrantOutcome.Refuse(ProtocolError.UnauthorizedClient("A public client cannot use client_credentials."));
        }

        if (!ScopeSet.TryParse(request.Form["scope"], out var requested))
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("The scope parameter is malformed."));
        }

        var decision = await scopes.ResolveAsync(client, requested, request.Aborted);
        if (!decision.Granted)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("A requested scope is not allowed for this client."),
                $"refused scopes: {string.Join(' ', decision.Refused)}");
        }

        // RFC 8707: the API the token is for, its scopes narrowed to that API's.
        var target = await request.TargetAsync(targets, null, decision.Scopes);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        var subject = client.ClientId;
        IReadOnlyList<string> roles = [];
        string? userName = null;
        if (client.ApplicationUser is { } sysId)
        {
            var user = await users.GetAsync(sysId, request.Aborted);
            if (user is not { Active: true })
            {
                return GrantOutcome.Refuse(ProtocolError.UnauthorizedClient("The client's application user is missing or inactive."),
                    user is null ? "application user not found" : "application user inactive");
            }

            (subject, roles, userName) = (user.SysId, user.Roles, user.UserName);
        }

        var content = request.Bind(AccessToken.Describe(issuerId, target.Audience, client.ClientId, subject, target.Scopes, roles,
            client.AccessTokenLifespan, issuer.Now, userName));
        var actor = new AuditActor(subject == client.ClientId ? null : subject, userName, client.ClientId);
        var token = await issuer.IssueAsync(content, GrantTypes.ClientCredentials, request.RemoteAddress, actor, request.Aborted);
        return new GrantOutcome.Issued(new TokenResponse(token, request.TokenType, (long)client.AccessTokenLifespan.TotalSeconds, content.Scope));
    }
}
