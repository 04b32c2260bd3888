using MassTransit;
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
/// checked. What federation-trust accepted depends only on the token's own claims, the trust, the
/// user (roles, activity) and the link of the token's own subject, whose changes all arrive here as
/// events: the cache cannot outlive a mapping rule. Refusals are remembered briefly (10 s, and
/// dropped by the same events), so replaying one bad or foreign token cannot turn each request into
/// a call and an audit row.
/// </summary>
public sealed class FederatedTokens(IServiceProvider services, TimeProvider time)
{
    private static readonly TimeSpan MaxRemembered = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RefusalRemembered = TimeSpan.FromSeconds(10);
    private readonly ExpiringCache<string, (FederatedIdentity? Identity, long ExpiresAt, bool OneTime)> _validated = new(MaxRemembered, capacity: 50_000);

    public async ValueTask<FederatedIdentity?> ValidateAsync(string token, string? remoteAddress, CancellationToken cancellationToken)
    {
        var (identity, expiresAt, _) = await _validated.GetOrAddAsync(token, async (t, ct) =>
        {
            var reply = await services.GetRequiredService<FederationTrustClient>().ValidateExternalTokenAsync(
                new ValidateExternalTokenRequest { Token = t, RemoteAddress = remoteAddress ?? "" }, cancellationToken: ct);
            return reply.Valid
                ? (new FederatedIdentity(reply.TrustName, reply.UserSysId, reply.UserName, reply.AuthorizedParty, reply.Scopes, reply.Roles), reply.ExpiresAt, reply.OneTime)
                : (null, 0, true);
        }, entry => entry.Identity is null ? RefusalRemembered
            : entry.OneTime ? null
            : TimeSpan.FromSeconds(entry.ExpiresAt) - TimeSpan.FromSeconds(time.GetUtcNow().ToUnixTimeSeconds()),
        cancellationToken);

        // A remembered token that has since expired is refused like any other.
        return identity is not null && expiresAt > time.GetUtcNow().ToUnixTimeSeconds() ? identity : null;
    }

    public void Forget() => _validated.Clear();
}

/// <summary>A trust, a user or a subject's link changed: what was validated may no longer hold.</summary>
public sealed class FederationChangedConsumer(FederatedTokens tokens) :
    IConsumer<TrustCreated>, IConsumer<TrustUpdated>, IConsumer<TrustDeleted>, IConsumer<UserUpdated>, IConsumer<UserDeleted>,
    IConsumer<ExternalSubjectUnlinked>
{
    public Task Consume(ConsumeContext<TrustCreated> context) => Forget();

    public Task Consume(ConsumeContext<TrustUpdated> context) => Forget();

    public Task Consume(ConsumeContext<TrustDeleted> context) => Forget();

    public Task Consume(ConsumeContext<UserUpdated> context) => Forget();

    public Task Consume(ConsumeContext<UserDeleted> context) => Forget();

    public Task Consume(ConsumeContext<ExternalSubjectUnlinked> context) => Forget();

    private Task Forget()
    {
        tokens.Forget();
        return Task.CompletedTask;
    }
}
