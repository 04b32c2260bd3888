using System.Security.Cryptography;
using System.Text;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.FederationTrust.Users;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>
/// Validates a token from outside. A JWT: which trust issued it (by exact issuer), its signature and
/// claims (<see cref="ExternalTokens"/>). An opaque token: the one trust its prefix routes it to
/// (<see cref="OpaqueTokens.Route{T}"/>), whose provider's introspection endpoint must call it active
/// for one of the trust's clients (<see cref="ProviderIntrospection"/>). Then the local user it maps
/// to (<see cref="UserMapping"/>: links, roles). Refusals are audited with the failed check; an
/// acceptance is audited once per token.
/// </summary>
public sealed class ExternalTokenValidation(TrustCatalog trusts, TrustStore store, ProviderKeys keys, ProviderIntrospection introspection, UserMapping users,
    IAuditSink audit, TimeProvider time)
{
    public async Task<ValidateExternalTokenReply> ValidateAsync(ValidateExternalTokenRequest request, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.IsJwt(request.Token))
        {
            return await ValidateOpaqueAsync(request, cancellationToken);
        }

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
        var jwt = claims.Token;
        // The provider's client the token was for: azp when it is one of ours, else the accepted audience.
        var authorizedParty = jwt.TryGetPayloadValue<string>("azp", out var azp) && trust.ClientIds.Contains(azp) ? azp : jwt.Audiences.First(trust.ClientIds.Contains);
        return await AcceptAsync(request, trust, new Accepted(issuer, claims.Subject, result.UserClaimValue!, claims.ExpiresAt, authorizedParty, [.. jwt.Audiences],
            trust.JtiCheck, null), cancellationToken);
    }

    /// <summary>A non-JWT token: only ever sent to the provider of the trust its prefix names.</summary>
    private async Task<ValidateExternalTokenReply> ValidateOpaqueAsync(ValidateExternalTokenRequest request, CancellationToken cancellationToken)
    {
        var trust = await trusts.FindOpaqueAsync(request.Token, cancellationToken);
        if (trust is null)
        {
            return await RefuseAsync(request, null, null, "an opaque token that no trust's prefix takes", cancellationToken);
        }

        if (!trust.Active)
        {
            return await RefuseAsync(request, trust, trust.Issuer, "the trust is inactive", cancellationToken);
        }

        IntrospectionOutcome outcome;
        try
        {
            outcome = await introspection.IntrospectAsync(trust, request.Token, cancellationToken);
        }
        catch (ProviderUnavailableException e)
        {
            // Neither accepted nor refused; audited when a call failed, not for each token turned away while the endpoint rests.
            if (e.Fresh)
            {
                await RefuseAsync(request, trust, trust.Issuer, $"introspection unavailable: {e.Message}", cancellationToken);
            }

            return new ValidateExternalTokenReply { Valid = false, Unavailable = true, Reason = $"introspection unavailable: {e.Message}", TrustName = trust.Name };
        }

        var result = outcome.Result;
        return result.IsValid
            ? await AcceptAsync(request, trust, new Accepted(result.Issuer, result.Subject, result.UserClaimValue, result.ExpiresAt, result.AuthorizedParty,
                result.Audiences, false, outcome.ReusableUntil), cancellationToken)
            : await RefuseAsync(request, trust, trust.Issuer, result.Reason, cancellationToken);
    }

    /// <summary>What a token proved, JWT or opaque: checked by now, only its user is left to map.</summary>
    private sealed record Accepted(string Issuer, string Subject, string UserClaimValue, DateTimeOffset ExpiresAt, string AuthorizedParty,
        IReadOnlyList<string> Audiences, bool OneTime, DateTimeOffset? ReusableUntil);

    private async Task<ValidateExternalTokenReply> AcceptAsync(ValidateExternalTokenRequest request, TrustRecord trust, Accepted token, CancellationToken cancellationToken)
    {
        var (user, refusal) = await users.ResolveAsync(trust, token.Issuer, token.Subject, token.UserClaimValue, cancellationToken);
        if (user is null)
        {
            return await RefuseAsync(request, trust, token.Issuer, refusal!, cancellationToken);
        }

        await store.DataSource.InTransactionAsync(async tx =>
        {
            if (await TrustStore.FirstAcceptanceAsync(tx, SHA256.HashData(Encoding.UTF8.GetBytes(request.Token)), token.ExpiresAt, cancellationToken))
            {
                await audit.WriteAsync(tx, new ExternalTokenAccepted(trust.Name, token.Issuer, user.SysId, user.UserName, token.ExpiresAt)
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
            ExpiresAt = token.ExpiresAt.ToUnixTimeSeconds(),
            Issuer = token.Issuer,
            AuthorizedParty = token.AuthorizedParty,
            OneTime = token.OneTime,
            ReusableUntil = token.ReusableUntil?.ToUnixTimeSeconds() ?? 0,
        };
        reply.Scopes.AddRange(trust.Scopes);
        reply.Audiences.AddRange(token.Audiences);
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
