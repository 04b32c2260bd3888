using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.OpenIdConnect;
using OAuthAspire.Token.Scopes;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 6749 §4.3, for legacy, highly trusted confidential clients that enable it. The password is
/// checked by the user directory with the sign-in page's lockout; every failure answers the same
/// invalid_grant, whatever the reason, and is audited with the remote address.
/// </summary>
public sealed class PasswordGrant(IServiceProvider services, ScopeResolver scopes, AccessTokenIssuer issuer, IdTokenIssuer idTokens, IAuditSink audit,
    Issuer issuerId, TokenTargets targets)
{
    private static readonly ProtocolError Refused = ProtocolError.InvalidGrant("The user name or password is incorrect, or the account is locked.");

    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        var client = request.Client;
        if (client.Public)
        {
            return GrantOutcome.Refuse(ProtocolError.UnauthorizedClient("A public client cannot use the password grant."));
        }

        var userName = request.Form["username"];
        var password = request.Form["password"];
        if (userName is null || password is null)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("username and password are required."));
        }

        if (!ScopeSet.TryParse(request.Form["scope"], out var requested))
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("The scope parameter is malformed."));
        }

        var decision = await scopes.ResolveAsync(client, requested, request.Aborted);
        if (!decision.Granted)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("A requested scope is not allowed for this client."));
        }

        // RFC 8707, before the password is tried: a request refused anyway costs the user no attempt.
        var target = await request.TargetAsync(targets, null, decision.Scopes);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        var check = await services.GetRequiredService<DirectoryClient>().VerifyPasswordAsync(new VerifyPasswordRequest
        {
            UserName = userName,
            Password = password,
            ClientId = client.ClientId,
            RemoteAddress = request.RemoteAddress ?? "",
        }, cancellationToken: request.Aborted);
        if (!check.Ok)
        {
            await audit.WriteAsync(new PasswordGrantFailed(client.ClientId, null)
            {
                Actor = AuditActor.Client(client.ClientId),
                Outcome = AuditOutcome.Failure,
                Reason = check.Failure,
                RemoteAddress = request.RemoteAddress,
            }, request.Aborted);
            return new GrantOutcome.Refused(Refused, $"password check failed: {check.Failure}", Audited: true);
        }

        var user = check.User;
        var content = request.Bind(AccessToken.Describe(issuerId, target.Audience, client.ClientId, user.SysId, target.Scopes, user.Roles, client.AccessTokenLifespan,
            issuer.Now, user.UserName));
        var actor = new AuditActor(user.SysId, user.UserName, client.ClientId);
        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        string? refreshToken = null;
        Guid? familyId = null;
        if (client.GrantTypes.Contains(GrantTypes.RefreshToken))
        {
            familyId = Guid.CreateVersion7();
            refreshToken = await RefreshTokenStore.StartFamilyAsync(tx, new RefreshFamily
            {
                FamilyId = familyId.Value,
                ClientId = client.ClientId,
                UserSysId = user.SysId,
                Scopes = [.. decision.Scopes],
                GrantType = GrantTypes.Password,
                AuthTime = content.IssuedAt.UtcDateTime,
                Amr = ["pwd"],
                Resources = targets.GrantOf(target),
                DpopJkt = request.RefreshJkt,
                MtlsX5t = request.RefreshX5t,
                ExpiresAt = RefreshTokens.FamilyExpiry(issuer.Now, client.RefreshTokenLifespan).UtcDateTime,
            }, request.Aborted);
        }

        var accessToken = await issuer.IssueAsync(tx, content, GrantTypes.Password, request.RemoteAddress, actor, null, familyId, request.Aborted);
        var idToken = decision.Scopes.Contains("openid") ? idTokens.Issue(user, client, content.IssuedAt, null, accessToken, null, ["pwd"]) : null;
        await tx.CommitAsync(request.Aborted);
        return new GrantOutcome.Issued(new TokenResponse(accessToken, request.TokenType, (long)client.AccessTokenLifespan.TotalSeconds, content.Scope,
            RefreshToken: refreshToken, IdToken: idToken));
    }
}
