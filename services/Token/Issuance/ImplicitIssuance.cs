using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.OpenIdConnect;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// Tokens for the implicit flow (kept for legacy single-page apps, off unless a client enables it):
/// an access token and, for <c>id_token token</c>, an ID token with at_hash. Never a refresh token.
/// Every use is audited as a legacy flow.
/// </summary>
public sealed class ImplicitIssuance(RegisteredClients clients, UserDirectory users, AccessTokenIssuer issuer, IdTokenIssuer idTokens, IAuditSink audit,
    Issuer issuerId, TokenTargets targets)
{
    public async Task<IssueImplicitTokensReply> IssueAsync(IssueImplicitTokensRequest request, CancellationToken cancellationToken)
    {
        var client = await clients.FindAsync(request.ClientId, cancellationToken);
        var user = await users.GetAsync(request.UserSysId, cancellationToken);
        if (client is not { Active: true } || !client.GrantTypes.Contains(GrantTypes.Implicit) || user is not { Active: true })
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "client or user not allowed the implicit flow"));
        }

        // The authorization endpoint checked the resource (one at most); the scopes are narrowed to its API here.
        var target = await targets.ForAsync(request.Resources, null, request.Scopes, client.AllowedResources, cancellationToken);
        if (target.Error is { } targetError)
        {
            // Only if the APIs or the client changed since the authorization endpoint checked: the client is told invalid_target.
            throw new RpcException(new Status(StatusCode.InvalidArgument, targetError.Description));
        }

        var content = AccessToken.Describe(issuerId, target.Audience, client.ClientId, user.SysId, target.Scopes, user.Roles, client.AccessTokenLifespan,
            issuer.Now, user.UserName) with { Algorithm = client.AccessTokenSigningAlg };
        var actor = new AuditActor(user.SysId, user.UserName, client.ClientId);
        var remote = request.RemoteAddress.Length == 0 ? null : request.RemoteAddress;
        await using var connection = await issuer.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var accessToken = await issuer.IssueAsync(tx, content, GrantTypes.Implicit, remote, actor, null, null, cancellationToken);
        await audit.WriteAsync(tx, new ImplicitFlowUsed(client.ClientId, user.SysId, request.IdToken ? "id_token token" : "token", content.Jti)
        {
            Actor = actor,
            RemoteAddress = remote,
            Reason = "legacy implicit flow: tokens delivered through the browser",
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);

        return new IssueImplicitTokensReply
        {
            AccessToken = accessToken,
            ExpiresIn = (int)client.AccessTokenLifespan.TotalSeconds,
            Scope = content.Scope,
            IdToken = request.IdToken
                ? idTokens.Issue(user, client, DateTimeOffset.FromUnixTimeSeconds(request.AuthTime), request.Nonce, accessToken,
                    request.SessionId.Length == 0 ? null : request.SessionId, request.Amr)
                : "",
        };
    }
}
