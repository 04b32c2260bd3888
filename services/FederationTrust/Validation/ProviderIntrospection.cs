using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>The provider's answer about a token, checked against the trust, and how long it may be reused.</summary>
public sealed record IntrospectionOutcome(IntrospectionResult Result, DateTimeOffset ReusableUntil);

/// <summary>The provider's introspection endpoint could not answer (down, slow, or refusing our client): the token can be neither accepted nor refused.</summary>
public sealed class ProviderUnavailableException(string message) : Exception(message);

/// <summary>
/// Asks a trusted provider's RFC 7662 introspection endpoint about an opaque token, as our client
/// there (client_secret_basic or _post), through the same guarded HTTP client as its keys (HTTPS,
/// allowed addresses, timeout, 64 KB, no redirects). Answers are reused for the trust's cache time
/// and never past the token's expiry; refusals for 10 s at most, so replaying a bad token costs no
/// call. Answers are keyed by a hash of the trust and the token and dropped by any trust change.
/// While an endpoint fails, it is not called again for 5 s: every token of that trust is then
/// "unavailable" at once (a 503 upstream), never waited on and never accepted without an answer.
/// </summary>
public sealed class ProviderIntrospection : IInvalidatable, IDisposable
{
    private static readonly TimeSpan RefusalReused = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http;
    private readonly ProviderKeys _keys;
    private readonly ProviderSecrets _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger<ProviderIntrospection> _logger;
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Until, string Problem)> _failing = new();
    private readonly ExpiringCache<string, IntrospectionOutcome> _answers = new(TimeSpan.FromSeconds(OpaqueTokens.MaxCacheSeconds), capacity: 50_000);

    public ProviderIntrospection(IConfiguration configuration, ProviderKeys keys, ProviderSecrets secrets, TimeProvider time, ILogger<ProviderIntrospection> logger)
    {
        _http = RemoteAddressPolicy.CreateClient(configuration);
        _http.MaxResponseContentBufferSize = RemoteKeySets.MaxDocumentBytes;
        _keys = keys;
        _secrets = secrets;
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
            throw new ProviderUnavailableException(failing.Problem);
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
        var clientId = trust.ProviderClientId ?? throw new ProviderUnavailableException("the trust has no provider client");
        var secret = _secrets.Open(trust);
        var form = new List<KeyValuePair<string, string>> { new("token", token), new("token_type_hint", "access_token") };
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (trust.ProviderClientAuth == ProviderClientAuthMethods.Post)
        {
            form.Add(new("client_id", clientId));
            form.Add(new("client_secret", secret));
        }
        else
        {
            // RFC 6749 §2.3.1: each part form-encoded before the base64.
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        }

        request.Content = new FormUrlEncodedContent(form);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new ProviderUnavailableException($"{Shown(endpoint)} answered {(int)response.StatusCode}");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ProviderUnavailableException($"{Shown(endpoint)} could not be read: {e.Message}");
        }
    }

    private static string KeyOf(TrustRecord trust, string token) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{trust.Id:N}\n{token}")));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // Without the query, as for key sets: logs and audit events hold no secrets.
    private static string Shown(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "the endpoint";

    public void Dispose() => _http.Dispose();
}
