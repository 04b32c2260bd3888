using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// The issuer's published keys, fetched from the service that publishes them, which the caller names
/// (<see cref="AddJwksCache"/>), for services that check our own tokens locally: the edge, and the
/// authorize service for id_token hints. Refetched every five minutes, at
/// once when a rotation is announced, and when a token names a key we do not know, but never more
/// than once every few seconds, so a flood of forged key ids cannot turn into a flood of fetches.
/// </summary>
public sealed class JwksCache(IHttpClientFactory httpClients, TimeProvider time, ILogger<JwksCache> logger, string keySetPath)
{
    private static readonly TimeSpan MinRefetchInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private volatile IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private long _epoch = -1;
    private DateTimeOffset _attemptedAt = DateTimeOffset.MinValue;

    // Keys announced as revoked: never used again here, even if a replica of the token service that
    // has not yet heard of it still publishes them.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    // Keys announced by events (a rotation, a revocation's replacement) that may not have been
    // published yet when the event made us refetch: a token naming one may refetch sooner.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _announced = new(StringComparer.Ordinal);
    private static readonly TimeSpan AnnouncedRefetchInterval = TimeSpan.FromMilliseconds(100);

    public const string HttpClientName = "issuer-jwks";

    public async ValueTask<IReadOnlyList<SecurityKey>> KeysAsync(CancellationToken cancellationToken)
    {
        // A rotation announced while the broker was away was never heard: fetch again once it is back.
        var now = time.GetUtcNow();
        if (now - _fetchedAt > MaxAge || (_epoch != CacheEpoch.Current && CacheEpoch.Listening && now - _attemptedAt >= MinRefetchInterval))
        {
            await RefreshAsync(force: true, cancellationToken);
        }

        return _keys;
    }

    /// <summary>Refetches unless a fetch happened moments ago; true when the key set may have changed.</summary>
    public async Task<bool> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        if (!force && time.GetUtcNow() - _fetchedAt < MinRefetchInterval)
        {
            return false;
        }

        await _fetch.WaitAsync(cancellationToken);
        try
        {
            if (!force && time.GetUtcNow() - _fetchedAt < MinRefetchInterval)
            {
                return false;
            }

            var epoch = CacheEpoch.Current;
            _attemptedAt = time.GetUtcNow();
            var json = await httpClients.CreateClient(HttpClientName).GetStringAsync(keySetPath, cancellationToken);
            _keys = new JsonWebKeySet(json).GetSigningKeys().Where(k => k.KeyId is null || !_revoked.ContainsKey(k.KeyId)).ToArray();
            _fetchedAt = time.GetUtcNow();
            _epoch = epoch;
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Keep the keys we have; try again after the minimum interval.
            logger.LogWarning("Could not fetch the issuer's keys: {Reason}", e.Message);
            _fetchedAt = time.GetUtcNow() - MaxAge + MinRefetchInterval;
            return false;
        }
        finally
        {
            _fetch.Release();
        }
    }

    public void Invalidate() => _fetchedAt = DateTimeOffset.MinValue;

    /// <summary>
    /// A token names a key we lack: refetch, throttled (every few seconds), except for a key an
    /// event announced, refetched every 100 ms until it is published.
    /// </summary>
    public async Task<bool> RefreshForAsync(string? kid, CancellationToken cancellationToken)
    {
        var announced = kid is not null && _announced.ContainsKey(kid);
        var refreshed = await RefreshAsync(force: announced && time.GetUtcNow() - _attemptedAt >= AnnouncedRefetchInterval, cancellationToken);
        if (announced && _keys.Any(k => k.KeyId == kid))
        {
            _announced.TryRemove(kid!, out _);
        }

        return refreshed;
    }

    /// <summary>A key an event named (it signs soon, or now).</summary>
    public void Announce(string kid)
    {
        if (_announced.Count < 100)
        {
            _announced[kid] = true;
        }

        Invalidate();
    }

    /// <summary>A key was withdrawn: dropped at once (a new key set, so tokens validated with it are forgotten too).</summary>
    public void Revoke(string kid)
    {
        _revoked[kid] = true;
        _keys = _keys.Where(k => k.KeyId != kid).ToArray();
        Invalidate();
    }

    /// <summary>Registers the cache and its HTTP client, nothing else.</summary>
    /// <param name="keyService">The service (its <see cref="ServiceNames"/> name) that publishes the
    /// issuer's keys at <c>/oauth/jwks</c>; these defaults call no service of their own accord.</param>
    /// <param name="keyService">The service that publishes the key set.</param>
    /// <param name="keySetPath">Where it publishes it (the JWKS path).</param>
    public static IServiceCollection AddJwksCache(IServiceCollection services, string keyService, string keySetPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyService);
        ArgumentException.ThrowIfNullOrWhiteSpace(keySetPath);
        InternalTls.AddHttpClientFor(services, HttpClientName, keyService);
        services.AddSingleton(sp => new JwksCache(sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<JwksCache>>(), keySetPath));
        return services;
    }
}

/// <summary>A rotation was announced: fetch the keys again before the next validation; a revoked key goes at once.</summary>
public sealed class JwksRotatedConsumer(JwksCache jwks) : IConsumer<SigningKeyRotated>, IConsumer<SigningKeyRevoked>
{
    public Task Consume(ConsumeContext<SigningKeyRotated> context)
    {
        jwks.Announce(context.Message.Kid);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<SigningKeyRevoked> context)
    {
        jwks.Revoke(context.Message.Kid);
        if (context.Message.ReplacementKid is { } replacement)
        {
            jwks.Announce(replacement);
        }

        return Task.CompletedTask;
    }
}
