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
        var content = request.Bind(Protocol.Tokens.AccessToken.Describe(issuerId, target.Audience, request.Client.ClientId, user.SysId, target.Scopes, user.Roles,
            request.Client.AccessTokenLifespan, issuer.Now, user.UserName));
        var actor = new AuditActor(user.SysId, user.UserName, request.Client.ClientId);
        string? refreshToken = null;
        Guid? familyId = null;
        if (request.Client.GrantTypes.Contains(GrantTypes.RefreshToken))
        {
            familyId = Guid.CreateVersion7();
            refreshToken = await RefreshTokenStore.StartFamilyAsync(tx, new RefreshFamily
            {
                FamilyId = familyId.Value,
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
            }, request.Aborted);
        }

        var token = await issuer.IssueAsync(tx, content, grantType, request.RemoteAddress, actor, grantHash, familyId, request.Aborted);
        return new SignedInGrant(content, token, refreshToken, actor);
    }
}
