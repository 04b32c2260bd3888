using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
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
/// RFC 6749 §4.1.3 with RFC 7636: exchanges a code for tokens, once. An unspent code is read without
/// a lock and spent in the group commit that writes its tokens, only if no one spent it first; a
/// code found spent, or lost to a concurrent redemption, is decided again with its row locked: a
/// replay, refused, revoking what the first redemption issued (RFC 6749 §4.1.2).
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
        var unlocked = await AuthorizationCodes.FindAsync(issuer.DataSource, hash, request.Aborted);
        if (unlocked is null)
        {
            return GrantOutcome.Refuse(Invalid, "unknown code");
        }

        if (unlocked.RedeemedAt is null && await RedeemAsync(unlocked, hash, verifier, request, null) is { } outcome)
        {
            return outcome;
        }

        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        var row = await AuthorizationCodes.LockAsync(tx, hash, request.Aborted);
        var invalid = Invalid;
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

        return await RedeemAsync(row, hash, verifier, request, tx) ?? GrantOutcome.Refuse(invalid, "code spent concurrently");
    }

    private static ProtocolError Invalid => ProtocolError.InvalidGrant("The authorization code is invalid, expired or already used.");

    /// <param name="tx">The transaction holding the code's row locked; null to spend it in the group commit.</param>
    /// <returns>Null when, in the group commit, a concurrent redemption spent the code first.</returns>
    private async Task<GrantOutcome?> RedeemAsync(AuthorizationCodeRow row, byte[] hash, string? verifier, TokenRequest request, NpgsqlTransaction? tx)
    {
        var invalid = Invalid;
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

        // A refresh token when the client may use them: a new family, bound to this grant.
        var signIn = new SignIn(row.Scopes, row.Resources, row.AuthTime, row.SessionId, row.Amr);
        if (tx is not null)
        {
            await AuthorizationCodes.MarkRedeemedAsync(tx, hash, request.Aborted);
            var grant = await SignedInGrant.IssueAsync(tx, issuer, issuerId, request, user, target, GrantTypes.AuthorizationCode, hash, signIn);
            await audit.WriteAsync(tx, Redeemed(row, hash, grant, request), request.Aborted);
            var answer = Answer(grant, row, user, request);
            await tx.CommitAsync(request.Aborted);
            return answer;
        }

        var (prepared, issue) = SignedInGrant.Prepare(issuer, issuerId, request, user, target, GrantTypes.AuthorizationCode, hash, signIn, new GrantChange { RedeemsCode = hash });
        // Everything is signed before the commit: once the code is spent, nothing may fail.
        var issued = Answer(prepared, row, user, request);
        return await issuer.CommitAsync(issue with { Change = issue.Change! with { Event = AccessTokenIssuer.Traced(Redeemed(row, hash, prepared, request)) } },
            request.Aborted) ? issued : null;
    }

    /// <summary>The answer, with an ID token when openid was granted: the sign-in as it happened (auth time, session, methods) and the request's nonce.</summary>
    private GrantOutcome Answer(SignedInGrant grant, AuthorizationCodeRow row, User user, TokenRequest request)
    {
        var idToken = row.Scopes.Contains("openid")
            ? idTokens.Issue(user, request.Client, new DateTimeOffset(DateTime.SpecifyKind(row.AuthTime ?? DateTime.UtcNow, DateTimeKind.Utc)), row.Nonce, grant.AccessToken,
                row.SessionId, row.Amr)
            : null;
        return new GrantOutcome.Issued(new TokenResponse(grant.AccessToken, request.TokenType, (long)request.Client.AccessTokenLifespan.TotalSeconds, grant.Content.Scope,
            RefreshToken: grant.RefreshToken, IdToken: idToken));
    }

    private static CodeRedeemed Redeemed(AuthorizationCodeRow row, byte[] hash, SignedInGrant grant, TokenRequest request) =>
        new CodeRedeemed(row.ClientId, grant.Content.Subject, AuthorizationCodes.Id(hash), grant.Content.Jti) { Actor = grant.Actor, RemoteAddress = request.RemoteAddress };
}
