using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.OpenIdConnect;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 6749 §4.1.3 with RFC 7636: exchanges a code for tokens, once. The code's row is locked for
/// the whole exchange, so of two concurrent redemptions one succeeds and the other, arriving
/// second, is a replay: it is refused and revokes what the first issued (RFC 6749 §4.1.2).
/// </summary>
public sealed class AuthorizationCodeGrant(AccessTokenIssuer issuer, AuthorizationCodes codes, RefreshTokenStore refreshTokens, UserDirectory users, IdTokenIssuer idTokens,
    IAuditSink audit, Issuer issuerId, TokenTargets targets, TimeProvider time)
{
    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        var code = request.Form["code"];
        if (code is null)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("The code parameter is required."));
        }

        var verifier = request.Form["code_verifier"];
        if (verifier is not null && !Pkce.IsValidVerifier(verifier))
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("code_verifier must be 43-128 unreserved characters."));
        }

        var hash = AuthorizationCodes.Hash(code);
        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        var row = await AuthorizationCodes.LockAsync(tx, hash, request.Aborted);
        var invalid = ProtocolError.InvalidGrant("The authorization code is invalid, expired or already used.");
        if (row is null)
        {
            return GrantOutcome.Refuse(invalid, "unknown code");
        }

        if (row.RedeemedAt is not null)
        {
            // The code leaked: what its first redemption issued goes, refresh families (and all
            // they refreshed since) included.
            const string replayed = "authorization code replayed";
            var revoked = (await codes.RevokeIssuedFromAsync(tx, hash, row.ClientId, row.UserSysId, replayed, request.RemoteAddress, request.Aborted))
                .Concat(await refreshTokens.RevokeFamiliesOfCodeAsync(tx, hash, replayed, request.RemoteAddress, request.Aborted))
                .Distinct().ToArray();
            await audit.WriteAsync(tx, new CodeReplayDetected(row.ClientId, AuthorizationCodes.Id(hash), revoked)
            {
                Actor = AuditActor.Client(request.Client.ClientId),
                Outcome = AuditOutcome.Failure,
                Reason = $"code presented again by {request.Client.ClientId}",
                RemoteAddress = request.RemoteAddress,
            }, request.Aborted);
            await tx.CommitAsync(request.Aborted);
            return GrantOutcome.Refuse(invalid, "code replayed");
        }

        // Failures below leave the code unused (the transaction rolls back): only its client,
        // with the right redirect URI and verifier, can spend it.
        var failure = row switch
        {
            _ when row.ExpiresAt <= time.GetUtcNow().UtcDateTime => "code expired",
            _ when row.ClientId != request.Client.ClientId => "code issued to another client",
            _ when row.RedirectUriSent && request.Form["redirect_uri"] != row.RedirectUri => "redirect_uri differs from the authorization request",
            _ when !row.RedirectUriSent && request.Form["redirect_uri"] is { } uri && uri != row.RedirectUri => "redirect_uri differs from the registered one",
            { CodeChallenge: null } when verifier is not null => "code_verifier sent but no code_challenge was",
            { CodeChallenge: { } challenge } when verifier is null || !Pkce.Verify(verifier, challenge) => "code_verifier missing or wrong",
            _ => null,
        };
        if (failure is not null)
        {
            return GrantOutcome.Refuse(invalid, failure);
        }

        // RFC 9449 §10: a code requested with dpop_jkt is spent only with a proof by that key.
        if (row.DpopJkt is { } pinned && pinned != request.Jkt)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidGrant("The authorization code is bound to a DPoP key (dpop_jkt): redeem it with a proof by that key."),
                request.Jkt is null ? "code bound by dpop_jkt, redeemed without a proof" : "code bound by dpop_jkt, proof by another key");
        }

        var user = await users.GetAsync(row.UserSysId, request.Aborted);
        if (user is not { Active: true })
        {
            return GrantOutcome.Refuse(invalid, "user missing or inactive");
        }

        // RFC 8707 §2.2: one of the authorized APIs, scopes narrowed to it; the code stays unspent when refused.
        var target = await request.TargetAsync(targets, row.Resources, row.Scopes);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        await AuthorizationCodes.MarkRedeemedAsync(tx, hash, request.Aborted);
        // A refresh token when the client may use them: a new family, bound to this grant.
        var (content, token, refreshToken, actor) = await SignedInGrant.IssueAsync(tx, issuer, issuerId, request, user, target, GrantTypes.AuthorizationCode, hash,
            new SignIn(row.Scopes, row.Resources, row.AuthTime, row.SessionId, row.Amr));
        await audit.WriteAsync(tx, new CodeRedeemed(row.ClientId, user.SysId, AuthorizationCodes.Id(hash), content.Jti)
            { Actor = actor, RemoteAddress = request.RemoteAddress }, request.Aborted);
        // OpenID Connect: the sign-in as it happened (auth time, session, methods) and the request's nonce.
        var idToken = row.Scopes.Contains("openid")
            ? idTokens.Issue(user, request.Client, new DateTimeOffset(DateTime.SpecifyKind(row.AuthTime ?? DateTime.UtcNow, DateTimeKind.Utc)), row.Nonce, token,
                row.SessionId, row.Amr)
            : null;
        await tx.CommitAsync(request.Aborted);
        return new GrantOutcome.Issued(new TokenResponse(token, request.TokenType, (long)request.Client.AccessTokenLifespan.TotalSeconds, content.Scope,
            RefreshToken: refreshToken, IdToken: idToken));
    }
}
