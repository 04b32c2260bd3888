using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.ServiceDefaults.Caching;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;

namespace OAuthAspire.Edge.Security;

/// <summary>A trusted provider's token as federation-trust validated it: the local user, the trust's scopes.</summary>
public sealed record FederatedIdentity(string Trust, string UserSysId, string UserName, string ClientId, IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Roles);

/// <summary>
/// Tokens of trusted external providers (the third-party ID token flow), validated by
/// federation-trust and remembered until they expire, or five minutes at most, so a provider's
/// token costs one call, not one per request. Any trust, user or subject-link change forgets them
/// all within a second. Tokens of a trust with a one-time jti are never remembered: each use is
/// checked; an introspected opaque token is remembered no longer than federation-trust may reuse the
/// provider's answer (the trust's cache time), and while its provider cannot be asked the call is a 503. What federation-trust accepted depends only on the token's own claims, the trust, the
/// user (roles, activity) and the link of the token's own subject, whose changes all arrive here as
/// events: the cache cannot outlive a mapping rule. Refusals are remembered briefly (10 s, and
/// dropped by the same events), so replaying one bad or foreign token cannot turn each request into
/// a call and an audit row.
/// </summary>
public sealed class FederatedTokens
{
    private static readonly TimeSpan MaxRemembered = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RefusalRemembered = TimeSpan.FromSeconds(10);
    private readonly TimeProvider _time;
    // Keyed by the token alone: the caller's address only goes with the call that validates it.
    private readonly CachedLookup<string, string?, (FederatedIdentity? Identity, long RememberUntil, long ExpiresAt, bool OneTime)> _validated;

    public FederatedTokens(IServiceProvider services, TimeProvider time)
    {
        _time = time;
        _validated = new(async (token, remoteAddress, ct) =>
        {
            var reply = await services.GetRequiredService<FederationTrustClient>().ValidateExternalTokenAsync(
                new ValidateExternalTokenRequest { Token = token, RemoteAddress = remoteAddress ?? "" }, cancellationToken: ct);
            if (reply.Unavailable)
            {
                // Neither accepted nor refused: the call is answered 503, and nothing is remembered.
                throw new RpcException(new Status(StatusCode.Unavailable, "the token's provider cannot be asked about it"));
            }

            return reply.Valid
                ? (new FederatedIdentity(reply.TrustName, reply.UserSysId, reply.UserName, reply.AuthorizedParty, reply.Scopes, reply.Roles),
                    reply.ReusableUntil > 0 ? Math.Min(reply.ExpiresAt, reply.ReusableUntil) : reply.ExpiresAt, reply.ExpiresAt, reply.OneTime)
                : (null, 0, 0, true);
        }, MaxRemembered, capacity: 50_000, lifetimeOf: entry => entry.Identity is null ? RefusalRemembered
            : entry.OneTime ? null
            : TimeSpan.FromSeconds(entry.RememberUntil) - TimeSpan.FromSeconds(time.GetUtcNow().ToUnixTimeSeconds()));
    }

    /// <summary>A trust, a user or a subject's link changed: what was validated may no longer hold.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<TrustCreated>.All((FederatedTokens t) => t._validated),
        InvalidateOn<TrustUpdated>.All((FederatedTokens t) => t._validated),
        InvalidateOn<TrustDeleted>.All((FederatedTokens t) => t._validated),
        InvalidateOn<UserUpdated>.All((FederatedTokens t) => t._validated),
        InvalidateOn<UserDeleted>.All((FederatedTokens t) => t._validated),
        InvalidateOn<ExternalSubjectUnlinked>.All((FederatedTokens t) => t._validated),
    ];

    public async ValueTask<FederatedIdentity?> ValidateAsync(string token, string? remoteAddress, CancellationToken cancellationToken)
    {
        var (identity, _, expiresAt, _) = await _validated.GetAsync(token, remoteAddress, cancellationToken);

        // A remembered token that has since expired is refused like any other.
        return identity is not null && expiresAt > _time.GetUtcNow().ToUnixTimeSeconds() ? identity : null;
    }

    public void Forget() => _validated.Clear();
}
