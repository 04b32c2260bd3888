using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// The issuer's published keys, fetched from the token service (for services that check our own
/// tokens locally: the edge, and the authorize service for id_token hints). Refetched every five minutes, at
/// once when a rotation is announced, and when a token names a key we do not know, but never more
/// than once every few seconds, so a flood of forged key ids cannot turn into a flood of fetches.
/// </summary>
public sealed class JwksCache(IHttpClientFactory httpClients, TimeProvider time, ILogger<JwksCache> logger)
{
    private static readonly TimeSpan MinRefetchInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private volatile IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private long _epoch = -1;
    private DateTimeOffset _attemptedAt = DateTimeOffset.MinValue;

    public const string HttpClientName = "token-jwks";

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
            var json = await httpClients.CreateClient(HttpClientName).GetStringAsync("/oauth/jwks", cancellationToken);
            _keys = new JsonWebKeySet(json).GetSigningKeys().ToArray();
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

    /// <summary>Registers the cache, its HTTP client to the token service and nothing else.</summary>
    public static IServiceCollection AddJwksCache(IServiceCollection services)
    {
        services.AddHttpClient(HttpClientName, c => c.BaseAddress = new Uri("http://token"));
        services.AddSingleton<JwksCache>();
        return services;
    }
}

/// <summary>A rotation was announced: fetch the keys again before the next validation.</summary>
public sealed class JwksRotatedConsumer(JwksCache jwks) : IConsumer<SigningKeyRotated>
{
    public Task Consume(ConsumeContext<SigningKeyRotated> context)
    {
        jwks.Invalidate();
        return Task.CompletedTask;
    }
}
