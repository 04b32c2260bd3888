using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Device;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.OpenIdConnect;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 8628 §3.4, §3.5: the device polls with its device code. The row is locked for the poll and
/// measured with the database's clock, so every replica agrees on <c>slow_down</c>; an approved code
/// is redeemed once, as an authorization code is, and presented again it revokes what it issued.
/// Pending polls are not audited (a device polls every few seconds); the first <c>slow_down</c> and
/// the first <c>expired_token</c> of a code are.
/// </summary>
public sealed class DeviceCodeGrant(AccessTokenIssuer issuer, AuthorizationCodes codes, RefreshTokenStore refreshTokens, UserDirectory users, IdTokenIssuer idTokens,
    IAuditSink audit, Issuer issuerId, TokenTargets targets)
{
    private static readonly ProtocolError Invalid = ProtocolError.InvalidGrant("The device code is invalid, expired or already used.");

    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        if (request.Form["device_code"] is not { Length: > 0 and <= 128 } deviceCode)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("The device_code parameter is required."));
        }

        var hash = DeviceAuthorizations.Hash(deviceCode);
        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        var row = await DeviceAuthorizations.LockAsync(tx, hash, request.Aborted);
        if (row is null)
        {
            return GrantOutcome.Refuse(Invalid, "unknown device code");
        }

        var deviceId = DeviceAuthorizations.Id(hash);
        var outcome = DevicePolling.Decide(row.PollState, request.Client.ClientId, row.DbNow);
        if (row.ClientId != request.Client.ClientId)
        {
            // Nothing changes: the other client learns nothing and cannot slow the real device down.
            return GrantOutcome.Refuse(outcome.Error!, outcome.Reason);
        }

        if (row.Status == "redeemed")
        {
            return await ReplayedAsync(request, tx, row, deviceId);
        }

        if (outcome.Error is { } error)
        {
            // Only the first slow_down and the first expired_token of a code are worth a record.
            var firstSlowDown = error.Error == OAuthErrorCodes.SlowDown && !row.SlowedDown;
            var firstExpiry = error.Error == OAuthErrorCodes.ExpiredToken && !row.ExpiryAudited;
            await DeviceAuthorizations.RecordPollAsync(tx, hash, outcome.Interval, row.SlowedDown || firstSlowDown, row.ExpiryAudited || firstExpiry, null, request.Aborted);
            // Written with the flag that says so: a record is never lost nor written twice.
            AuditEvent? record = firstSlowDown ? new DevicePollingTooFast(row.ClientId, deviceId, outcome.Interval)
                : firstExpiry ? new TokenRequestRefused(row.ClientId, GrantTypes.DeviceCode, error.Error)
                : null;
            if (record is not null)
            {
                await audit.WriteAsync(tx, record with
                {
                    Actor = AuditActor.Client(row.ClientId),
                    Outcome = AuditOutcome.Failure,
                    Reason = outcome.Reason,
                    RemoteAddress = request.RemoteAddress,
                }, request.Aborted);
            }

            await tx.CommitAsync(request.Aborted);
            // Pending, slow_down and expiry are recorded once above or not at all; a denial like any refusal.
            return new GrantOutcome.Refused(error, outcome.Reason, Audited: error.Error != OAuthErrorCodes.AccessDenied);
        }

        var user = row.UserSysId is null ? null : await users.GetAsync(row.UserSysId, request.Aborted);
        if (user is not { Active: true })
        {
            return GrantOutcome.Refuse(Invalid, "approving user missing or inactive");
        }

        // admin.api only for an approver with an admin role, as at the authorization endpoint.
        string[] scopes = [.. AdminApi.GrantableTo(row.Scopes, user.Roles)];

        // RFC 8707 §2.2: one of the APIs the user approved, scopes narrowed to it; the code stays unspent when refused.
        var target = await request.TargetAsync(targets, row.Resources, scopes);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        await DeviceAuthorizations.RecordPollAsync(tx, hash, row.PollInterval, row.SlowedDown, row.ExpiryAudited, "redeemed", request.Aborted);
        // The device code's hash stands where a code's would: its replay finds what it issued.
        var (content, token, refreshToken, actor) = await SignedInGrant.IssueAsync(tx, issuer, issuerId, request, user, target, GrantTypes.DeviceCode, hash,
            new SignIn(scopes, row.Resources, row.AuthTime, row.SessionId, row.Amr));
        await audit.WriteAsync(tx, new DeviceCodeRedeemed(row.ClientId, user.SysId, deviceId, content.Jti) { Actor = actor, RemoteAddress = request.RemoteAddress },
            request.Aborted);
        // OpenID Connect: the approver's sign-in (auth time, session, methods); a device request carries no nonce.
        var idToken = row.Scopes.Contains("openid")
            ? idTokens.Issue(user, request.Client, new DateTimeOffset(DateTime.SpecifyKind(row.AuthTime ?? row.DbNow, DateTimeKind.Utc)), null, token,
                row.SessionId, row.Amr)
            : null;
        await tx.CommitAsync(request.Aborted);
        return new GrantOutcome.Issued(new TokenResponse(token, request.TokenType, (long)request.Client.AccessTokenLifespan.TotalSeconds, content.Scope,
            RefreshToken: refreshToken, IdToken: idToken));
    }

    /// <summary>The device code leaked (or the device misbehaves): what its redemption issued goes, refresh families included.</summary>
    private async Task<GrantOutcome> ReplayedAsync(TokenRequest request, Npgsql.NpgsqlTransaction tx, DeviceAuthorizationRow row, string deviceId)
    {
        const string replayed = "device code replayed";
        var revoked = (await codes.RevokeIssuedFromAsync(tx, row.DeviceCodeHash, row.ClientId, row.UserSysId ?? "", replayed, request.RemoteAddress, request.Aborted))
            .Concat(await refreshTokens.RevokeFamiliesOfCodeAsync(tx, row.DeviceCodeHash, replayed, request.RemoteAddress, request.Aborted))
            .Distinct().ToArray();
        await audit.WriteAsync(tx, new DeviceCodeReplayDetected(row.ClientId, deviceId, revoked)
        {
            Actor = AuditActor.Client(request.Client.ClientId),
            Outcome = AuditOutcome.Failure,
            Reason = $"device code presented again by {request.Client.ClientId}",
            RemoteAddress = request.RemoteAddress,
        }, request.Aborted);
        await tx.CommitAsync(request.Aborted);
        return GrantOutcome.Refuse(Invalid, replayed);
    }
}
