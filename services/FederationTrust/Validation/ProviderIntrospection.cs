using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>The provider's answer about a token, checked against the trust, and how long it may be reused.</summary>
public sealed record IntrospectionOutcome(IntrospectionResult Result, DateTimeOffset ReusableUntil);

/// <summary>
/// Asks a trusted provider's RFC 7662 introspection endpoint about an opaque token, as our client
/// there (<see cref="ProviderCalls"/>); any answer but a 2xx with JSON is "unavailable". Answers are reused for the trust's cache time
/// and never past the token's expiry; refusals for 10 s at most, so replaying a bad token costs no
/// call. Answers are keyed by a hash of the trust and the token and dropped by any trust change.
/// A 400-class answer about one token (malformed, too long; not about our client) refuses that token only. While an endpoint
/// fails otherwise (down, slow, 401/403 for our client, 429, 5xx), it is not called again for 5 s: every token of that trust is then
/// "unavailable" at once (a 503 upstream), never waited on and never accepted without an answer.
/// </summary>
public sealed class ProviderIntrospection : IInvalidatable
{
    private static readonly TimeSpan RefusalReused = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(5);
    private readonly ProviderKeys _keys;
    private readonly ProviderCalls _calls;
    private readonly TimeProvider _time;
    private readonly ILogger<ProviderIntrospection> _logger;
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Until, string Problem)> _failing = new();
    private readonly ExpiringCache<string, IntrospectionOutcome> _answers = new(TimeSpan.FromSeconds(OpaqueTokens.MaxCacheSeconds), capacity: 50_000);

    public ProviderIntrospection(ProviderKeys keys, ProviderCalls calls, TimeProvider time, ILogger<ProviderIntrospection> logger)
    {
        _keys = keys;
        _calls = calls;
        _time = time;
        _logger = logger;
    }

    /// <summary>Any trust change may change what its tokens' answers mean (its clients, its cache time, its endpoint).</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<TrustCreated>.All((ProviderIntrospection p) => p),
        InvalidateOn<TrustUpdated>.All((ProviderIntrospection p) => p),
        InvalidateOn<TrustDeleted>.All((ProviderIntrospection p) => p),
    ];

    public void Clear()
    {
        _answers.Clear();
        _failing.Clear();
    }

    /// <exception cref="ProviderUnavailableException">No answer could be had (nor a reusable one).</exception>
    public async Task<IntrospectionOutcome> IntrospectAsync(TrustRecord trust, string token, CancellationToken cancellationToken)
    {
        var key = KeyOf(trust, token);
        if (_answers.TryGet(key, out var known))
        {
            return known;
        }

        if (_failing.TryGetValue(trust.Id, out var failing) && failing.Until > _time.GetUtcNow())
        {
            throw new ProviderUnavailableException(failing.Problem, fresh: false);
        }

        try
        {
            return await _answers.GetOrAddAsync(key, (_, ct) => LoadAsync(trust, token, ct), outcome => outcome.ReusableUntil - _time.GetUtcNow(), cancellationToken);
        }
        catch (ProviderUnavailableException e)
        {
            _failing[trust.Id] = (_time.GetUtcNow() + PauseAfterFailure, e.Message);
            _logger.LogWarning("The introspection endpoint of trust {Trust} could not answer; its opaque tokens are unavailable for {Pause} s: {Reason}",
                trust.Name, PauseAfterFailure.TotalSeconds, e.Message);
            throw;
        }
    }

    private async Task<IntrospectionOutcome> LoadAsync(TrustRecord trust, string token, CancellationToken cancellationToken)
    {
        var answer = await AskAsync(trust, token, cancellationToken);
        _failing.TryRemove(trust.Id, out _);
        var now = _time.GetUtcNow();
        var result = OpaqueTokens.Check(answer, trust.Settings, now);
        return new IntrospectionOutcome(result, result.IsValid
            ? Min(now.AddSeconds(trust.IntrospectionCacheSeconds), result.ExpiresAt)
            : now + Min(RefusalReused, TimeSpan.FromSeconds(trust.IntrospectionCacheSeconds)));
    }

    private async Task<JsonElement> AskAsync(TrustRecord trust, string token, CancellationToken cancellationToken)
    {
        var endpoint = trust.IntrospectionEndpoint.Length > 0
            ? trust.IntrospectionEndpoint
            : (await _keys.MetadataAsync(trust, cancellationToken))?.IntrospectionEndpoint
              ?? throw new ProviderUnavailableException("the provider's metadata names no usable introspection_endpoint (or could not be fetched)");
        var (status, body) = await _calls.PostAsync(trust, endpoint, [new("token", token), new("token_type_hint", "access_token")], cancellationToken);
        var error = ProviderCalls.ErrorOf(body);
        return status switch
        {
            >= 200 and < 300 when body is { } answer => answer,
            // The endpoint refused this one token (malformed, too long): a refusal of it, not an outage of the trust. A 400 about
            // our client (invalid_client, RFC 6749 §5.2) is an outage, as is a 404 (the wrong endpoint).
            400 or 413 or 414 or 422 when error is null or "invalid_request" => JsonSerializer.SerializeToElement(new { active = false }),
            _ => throw new ProviderUnavailableException($"{ProviderCalls.Shown(endpoint)} answered {status}{(error is null ? "" : $" error={ProviderCalls.Short(error)}")}"
                + (body is null ? " without JSON" : "")),
        };
    }

    private static string KeyOf(TrustRecord trust, string token) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{trust.Id:N}\n{token}")));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

}
