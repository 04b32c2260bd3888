using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token.Grants;

/// <summary>The sign-in a grant was approved with (a code's, a device code's): what its refresh family carries on.</summary>
public sealed record SignIn(string[] Scopes, string[] Resources, DateTime? AuthTime, string? SessionId, string[] Amr);

/// <summary>What a grant a user signed in for issues in its transaction: the access token, and a new refresh family when the client may refresh.</summary>
public sealed record SignedInGrant(AccessTokenContent Content, string AccessToken, string? RefreshToken, AuditActor Actor)
{
    /// <param name="grantHash">The code's (or device code's) hash: its replay finds what was issued here.</param>
    public static async Task<SignedInGrant> IssueAsync(NpgsqlTransaction tx, AccessTokenIssuer issuer, Issuer issuerId, TokenRequest request, User user,
        TokenTarget target, string grantType, byte[] grantHash, SignIn signIn)
    {
        var (content, actor, family) = Describe(issuer, issuerId, request, user, target, grantType, signIn);
        var refreshToken = family is null ? null : await RefreshTokenStore.StartFamilyAsync(tx, family, request.Aborted);
        var token = await issuer.IssueAsync(tx, content, grantType, request.RemoteAddress, actor, grantHash, family?.FamilyId, request.Aborted);
        return new SignedInGrant(content, token, refreshToken, actor);
    }

    /// <summary>
    /// The same issue for the group commit: signed now, written with <paramref name="change"/> (the
    /// code it spends, its own audit event) and the new family, if the claim still holds then.
    /// </summary>
    public static (SignedInGrant Grant, PendingIssue Issue) Prepare(AccessTokenIssuer issuer, Issuer issuerId, TokenRequest request, User user,
        TokenTarget target, string grantType, byte[] grantHash, SignIn signIn, GrantChange change)
    {
        var (content, actor, family) = Describe(issuer, issuerId, request, user, target, grantType, signIn);
        var refreshToken = family is null ? null : RefreshTokens.New();
        var (token, issue) = issuer.Prepare(content, grantType, request.RemoteAddress, actor, grantHash, family?.FamilyId,
            change with { NewFamily = family, NewRefreshToken = refreshToken is null ? null : RefreshTokens.Hash(refreshToken) });
        return (new SignedInGrant(content, token, refreshToken, actor), issue);
    }

    /// <summary>The access token's content, and a new refresh family when the client may refresh.</summary>
    private static (AccessTokenContent Content, AuditActor Actor, RefreshFamily? Family) Describe(AccessTokenIssuer issuer, Issuer issuerId, TokenRequest request,
        User user, TokenTarget target, string grantType, SignIn signIn)
    {
        var content = request.Bind(Protocol.Tokens.AccessToken.Describe(issuerId, target.Audience, request.Client.ClientId, user.SysId, target.Scopes, user.Roles,
            request.Client.AccessTokenLifespan, issuer.Now, user.UserName));
        var actor = new AuditActor(user.SysId, user.UserName, request.Client.ClientId);
        var family = !request.Client.GrantTypes.Contains(GrantTypes.RefreshToken) ? null : new RefreshFamily
        {
            FamilyId = Guid.CreateVersion7(),
            ClientId = request.Client.ClientId,
            UserSysId = user.SysId,
            Scopes = signIn.Scopes,
            GrantType = grantType,
            AuthTime = signIn.AuthTime,
            SessionId = signIn.SessionId,
            Amr = signIn.Amr,
            Resources = signIn.Resources,
            DpopJkt = request.RefreshJkt,
            MtlsX5t = request.RefreshX5t,
            ExpiresAt = RefreshTokens.FamilyExpiry(issuer.Now, request.Client.RefreshTokenLifespan).UtcDateTime,
        };
        return (content, actor, family);
    }
}
