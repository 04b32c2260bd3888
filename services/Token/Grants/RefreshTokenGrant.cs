using Microsoft.Extensions.Options;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.OpenIdConnect;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 6749 §6 with rotation (RFC 9700 §4.14.2). Every use replaces the token. An unused token is
/// read without a lock and rotated in the group commit that writes the new tokens, only if it is
/// still unused and its family still live then. Otherwise, or when it must bind its family to a
/// key, the exchange runs with the family row locked: of racing refreshes one wins and the others,
/// arriving within the grace window, are refused harmlessly; a rotated token presented after the
/// window is taken as stolen: the family and every access token issued from it are revoked.
/// </summary>
public sealed class RefreshTokenGrant(AccessTokenIssuer issuer, RefreshTokenStore refreshTokens, UserDirectory users, IdTokenIssuer idTokens,
    IAuditSink audit, IOptions<RefreshOptions> options, Issuer issuerId, TokenTargets targets, TimeProvider time)
{
    private static readonly ProtocolError Invalid = ProtocolError.InvalidGrant("The refresh token is invalid, expired or revoked.");

    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        var presented = request.Form["refresh_token"];
        if (presented is null)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("The refresh_token parameter is required."));
        }

        if (!ScopeSet.TryParse(request.Form["scope"], out var requested))
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("The scope parameter is malformed."));
        }

        var now = time.GetUtcNow();
        var unlocked = await refreshTokens.FindAsync(presented, request.Aborted);
        if (Refusal(unlocked, request, now) is { } refused)
        {
            return refused;
        }

        var family = unlocked!.Family;
        var binds = (family.DpopJkt is null && request.RefreshJkt is not null) || (family.MtlsX5t is null && request.RefreshX5t is not null);
        if (unlocked.RotatedAt is null && !binds && await RefreshAsync(unlocked, request, requested, null) is { } outcome)
        {
            return outcome;
        }

        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        var row = await RefreshTokenStore.LockAsync(tx, presented, request.Aborted);
        if (Refusal(row, request, now) is { } refusal)
        {
            return refusal;
        }

        family = row!.Family;
        // A public client's family begun without a proof is bound by the first refresh that brings one (§5).
        if (family.DpopJkt is null && request.RefreshJkt is { } jkt)
        {
            await RefreshTokenStore.BindAsync(tx, family.FamilyId, jkt, request.Aborted);
        }

        // Likewise to a certificate, for a family begun before the client asked for certificate-bound tokens.
        if (family.MtlsX5t is null && request.RefreshX5t is { } x5t)
        {
            await RefreshTokenStore.BindCertificateAsync(tx, family.FamilyId, x5t, request.Aborted);
        }

        var actor = new AuditActor(family.UserSysId, null, family.ClientId);
        var rotatedAt = row.RotatedAt is { } r ? new DateTimeOffset(DateTime.SpecifyKind(r, DateTimeKind.Utc)) : (DateTimeOffset?)null;
        switch (RefreshTokens.Decide(rotatedAt, now, options.Value.ReuseGrace))
        {
            case RefreshDecision.RaceLost:
                await audit.WriteAsync(tx, new RefreshRaceLost(family.ClientId, family.FamilyId)
                    { Actor = actor, Outcome = AuditOutcome.Failure, Reason = "used concurrently", RemoteAddress = request.RemoteAddress }, request.Aborted);
                await tx.CommitAsync(request.Aborted);
                return GrantOutcome.Refuse(Invalid, "refresh race lost");

            case RefreshDecision.Reuse:
                var revoked = await refreshTokens.RevokeFamilyAsync(tx, family, "refresh token reuse", actor, request.RemoteAddress, request.Aborted);
                await audit.WriteAsync(tx, new RefreshTokenReuseDetected(family.ClientId, family.UserSysId, family.FamilyId, revoked)
                    { Actor = actor, Outcome = AuditOutcome.Failure, Reason = "a rotated refresh token was presented again", RemoteAddress = request.RemoteAddress },
                    request.Aborted);
                await tx.CommitAsync(request.Aborted);
                return GrantOutcome.Refuse(Invalid, "refresh token reuse: family revoked");
        }

        return await RefreshAsync(row, request, requested, tx) ?? GrantOutcome.Refuse(Invalid, "refresh race lost");
    }

    /// <summary>The refusals that change nothing: unknown, another client's, a family ended, a binding not met.</summary>
    private static GrantOutcome? Refusal(RefreshTokenRow? row, TokenRequest request, DateTimeOffset now)
    {
        var family = row?.Family;
        if (row is null || family!.ClientId != request.Client.ClientId)
        {
            return GrantOutcome.Refuse(Invalid, row is null ? "unknown refresh token" : "refresh token of another client");
        }

        if (family.RevokedAt is not null || family.ExpiresAt <= now.UtcDateTime)
        {
            return GrantOutcome.Refuse(Invalid, family.RevokedAt is not null ? "family revoked" : "family expired");
        }

        // RFC 9449 §5: a bound refresh token is good only with a proof by its key; a thief's key is not that key.
        if (family.DpopJkt is { } bound && bound != request.Jkt)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidGrant("The refresh token is bound to a DPoP key: refresh with a proof by that key."),
                request.Jkt is null ? "DPoP-bound refresh token presented without a proof" : "DPoP-bound refresh token presented with another key");
        }

        // RFC 8705 §4: the same for a public client's family bound to its certificate.
        if (family.MtlsX5t is { } certificate && certificate != request.X5t)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidGrant("The refresh token is bound to a client certificate: refresh over mutual TLS with it."),
                request.X5t is null ? "certificate-bound refresh token presented without the certificate" : "certificate-bound refresh token presented with another certificate");
        }

        return null;
    }

    /// <summary>Rotates an unused token and issues.</summary>
    /// <param name="tx">The transaction holding the family locked; null to rotate in the group commit.</param>
    /// <returns>Null when the token was used, or its family revoked, by a concurrent request first.</returns>
    private async Task<GrantOutcome?> RefreshAsync(RefreshTokenRow row, TokenRequest request, IReadOnlyList<string> requested, NpgsqlTransaction? tx)
    {
        var family = row.Family;
        // A lockout (which anyone can cause) does not stop refresh; deactivation and deletion do.
        var user = await users.GetAsync(family.UserSysId, request.Aborted);
        if (user is not { Active: true })
        {
            return GrantOutcome.Refuse(Invalid, "user missing or inactive");
        }

        var decision = ScopeDecision.Narrow(requested, family.Scopes);
        if (!decision.Granted)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("A refresh may only narrow the originally granted scopes."),
                $"widening to {string.Join(' ', decision.Refused)}");
        }

        // RFC 8707 §2.2: any API within the original grant, never beyond it.
        var target = await request.TargetAsync(targets, family.Resources, decision.Scopes);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        // FAPI 2.0 §5.3.2.1: a fapi2 client's refresh token does not rotate (a retry with it must still work).
        var rotates = !request.Client.Fapi2;
        var content = request.Bind(AccessToken.Describe(issuerId, target.Audience, family.ClientId, user.SysId, target.Scopes, user.Roles,
            request.Client.AccessTokenLifespan, issuer.Now, user.UserName));
        var actor = new AuditActor(family.UserSysId, user.UserName, family.ClientId);
        var rotated = new RefreshTokenRotated(family.ClientId, user.SysId, family.FamilyId, content.Jti)
            { Actor = actor, RemoteAddress = request.RemoteAddress, Reason = rotates ? null : "refreshed without rotation (FAPI 2.0 client)" };
        // With openid, a new ID token for the same sign-in: same sub and auth_time.
        string? IdToken(string accessToken) => decision.Scopes.Contains("openid")
            ? idTokens.Issue(user, request.Client, new DateTimeOffset(DateTime.SpecifyKind(family.AuthTime ?? DateTime.UtcNow, DateTimeKind.Utc)), null,
                accessToken, family.SessionId, family.Amr)
            : null;
        string accessToken;
        string? refreshToken;
        string? idToken;
        if (tx is null)
        {
            refreshToken = rotates ? RefreshTokens.New() : null;
            (accessToken, var issue) = issuer.Prepare(content, GrantTypes.RefreshToken, request.RemoteAddress, actor, null, family.FamilyId, new GrantChange
            {
                RefreshesFamily = family.FamilyId,
                RotatesToken = rotates ? row.TokenHash : null,
                NewRefreshToken = refreshToken is null ? null : RefreshTokens.Hash(refreshToken),
                Event = rotated,
            });
            // Everything is signed before the commit: once the token is rotated, nothing may fail.
            idToken = IdToken(accessToken);
            if (!await issuer.CommitAsync(issue, request.Aborted))
            {
                return null;
            }
        }
        else
        {
            if (rotates && !await RefreshTokenStore.MarkRotatedAsync(tx, row.TokenHash, request.Aborted))
            {
                return null;
            }

            accessToken = await issuer.IssueAsync(tx, content, GrantTypes.RefreshToken, request.RemoteAddress, actor, null, family.FamilyId, request.Aborted);
            refreshToken = rotates ? await RefreshTokenStore.AddTokenAsync(tx, family.FamilyId, request.Aborted) : null;
            await audit.WriteAsync(tx, rotated, request.Aborted);
            idToken = IdToken(accessToken);
            await tx.CommitAsync(request.Aborted);
        }

        return new GrantOutcome.Issued(new TokenResponse(accessToken, request.TokenType, (long)request.Client.AccessTokenLifespan.TotalSeconds, content.Scope,
            RefreshToken: refreshToken, IdToken: idToken));
    }
}
