using System.Security.Cryptography;
using System.Text;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>
/// Validates a token from outside: which trust issued it (by exact issuer), its signature and
/// claims (<see cref="ExternalTokens"/>), then the local user it maps to (<see cref="UserMapping"/>:
/// links, roles). Refusals are audited with the failed check; an acceptance is audited once per token.
/// </summary>
public sealed class ExternalTokenValidation(TrustCatalog trusts, TrustStore store, ProviderKeys keys, UserMapping users, IAuditSink audit, TimeProvider time)
{
    public async Task<ValidateExternalTokenReply> ValidateAsync(ValidateExternalTokenRequest request, CancellationToken cancellationToken)
    {
        var (issuer, _) = JwtAssertion.Peek(request.Token);
        if (string.IsNullOrEmpty(issuer))
        {
            return await RefuseAsync(request, null, null, "the token is not a JWT with an issuer", cancellationToken);
        }

        var trust = await trusts.FindByIssuerAsync(issuer, cancellationToken);
        if (trust is null)
        {
            return await RefuseAsync(request, null, issuer, "unknown issuer", cancellationToken);
        }

        if (!trust.Active)
        {
            return await RefuseAsync(request, trust, issuer, "the trust is inactive", cancellationToken);
        }

        var settings = trust.Settings;
        ValueTask<bool> UseJti(string jti, DateTimeOffset expiresAt) => new(store.TryUseJtiAsync(trust.Id, jti, expiresAt, cancellationToken));
        var result = await ExternalTokens.ValidateAsync(request.Token, settings, await keys.KeysAsync(trust, false, cancellationToken), time.GetUtcNow(), UseJti);
        if (result.Failure == AssertionFailure.UnknownKey)
        {
            // The provider may have rotated its keys: one (rate-limited) refetch.
            result = await ExternalTokens.ValidateAsync(request.Token, settings, await keys.KeysAsync(trust, true, cancellationToken), time.GetUtcNow(), UseJti);
        }

        if (!result.IsValid)
        {
            // No key matched because none could be fetched: say why, in the audit trail only.
            var reason = result.Failure == AssertionFailure.UnknownKey && keys.FetchProblem(trust) is { } problem
                ? $"{result.Reason} (keys unavailable: {problem})"
                : result.Reason;
            return await RefuseAsync(request, trust, issuer, reason, cancellationToken);
        }

        var claims = result.Claims!;
        var (user, refusal) = await users.ResolveAsync(trust, claims, result.UserClaimValue!, cancellationToken);
        if (user is null)
        {
            return await RefuseAsync(request, trust, issuer, refusal!, cancellationToken);
        }

        await store.DataSource.InTransactionAsync(async tx =>
        {
            if (await TrustStore.FirstAcceptanceAsync(tx, SHA256.HashData(Encoding.UTF8.GetBytes(request.Token)), claims.ExpiresAt, cancellationToken))
            {
                await audit.WriteAsync(tx, new ExternalTokenAccepted(trust.Name, issuer, user.SysId, user.UserName, claims.ExpiresAt)
                {
                    Actor = new AuditActor(user.SysId, user.UserName, NullIfEmpty(request.ClientId)),
                    RemoteAddress = NullIfEmpty(request.RemoteAddress),
                }, cancellationToken);
            }
        }, cancellationToken);

        var reply = new ValidateExternalTokenReply
        {
            Valid = true,
            TrustId = trust.Id.ToString(),
            TrustName = trust.Name,
            UserSysId = user.SysId,
            UserName = user.UserName,
            ExpiresAt = claims.ExpiresAt.ToUnixTimeSeconds(),
            Issuer = issuer,
            // The provider's client the token was for: azp when it is one of ours, else the accepted audience.
            AuthorizedParty = claims.Token.TryGetPayloadValue<string>("azp", out var azp) && trust.ClientIds.Contains(azp)
                ? azp
                : claims.Token.Audiences.First(trust.ClientIds.Contains),
            OneTime = trust.JtiCheck,
        };
        reply.Scopes.AddRange(trust.Scopes);
        reply.Audiences.AddRange(claims.Token.Audiences);
        reply.Roles.AddRange(user.Roles);
        return reply;
    }

    private async Task<ValidateExternalTokenReply> RefuseAsync(ValidateExternalTokenRequest request, TrustRecord? trust, string? issuer, string reason,
        CancellationToken cancellationToken)
    {
        await audit.WriteAsync(new ExternalTokenRefused(trust?.Name, Truncate(issuer), NullIfEmpty(request.ClientId))
        {
            Actor = request.ClientId.Length > 0 ? AuditActor.Client(request.ClientId) : AuditActor.None,
            Outcome = AuditOutcome.Failure,
            Reason = reason,
            RemoteAddress = NullIfEmpty(request.RemoteAddress),
        }, cancellationToken);
        return new ValidateExternalTokenReply { Valid = false, Reason = reason, Issuer = Truncate(issuer) ?? "", TrustName = trust?.Name ?? "" };
    }

    // Attacker-chosen values go into the audit trail cut short.
    private static string? Truncate(string? value) => value is { Length: > 256 } ? value[..256] : value;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
