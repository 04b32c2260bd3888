using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>A document another party publishes could not be fetched or read.</summary>
public sealed class RemoteDocumentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Documents other parties publish: JWKS of clients and trusted providers, and provider metadata.
/// Fetched over HTTPS only (plain http for a loopback host in Development), only from addresses
/// <see cref="RemoteAddressPolicy"/> allows, with a timeout (<c>RemoteFetch:Timeout</c>, 5 s), a
/// 64 KB limit and no redirects. Key sets are cached per URL for the lifespan the caller gives,
/// refetched on demand (an unknown kid) at most every <c>RemoteKeys:MinRefetch</c> (10 s), and
/// kept serving when a refetch fails: an outage at the provider must not lock its users out.
/// Error messages carry the detail (addresses, connect errors, status codes) for logs and the
/// audit trail only; callers answer their own clients with generic text.
/// </summary>
public sealed class RemoteKeySets : IDisposable
{
    public const int MaxDocumentBytes = 64 * 1024;
    public const string TimeoutKey = "RemoteFetch:Timeout";
    private readonly TimeProvider _time;
    private readonly IHostEnvironment _environment;
    private readonly ILogger<RemoteKeySets> _logger;
    private readonly TimeSpan _minRefetch;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, (IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt, string? Problem)> _sets = new(StringComparer.Ordinal);

    public RemoteKeySets(TimeProvider time, IHostEnvironment environment, IConfiguration configuration, ILogger<RemoteKeySets> logger)
        : this(time, environment, configuration, logger, certificateCheck: null)
    {
    }

    /// <param name="certificateCheck">Tests only: trusts their self-signed loopback server.</param>
    internal RemoteKeySets(TimeProvider time, IHostEnvironment environment, IConfiguration configuration, ILogger<RemoteKeySets> logger,
        RemoteCertificateValidationCallback? certificateCheck)
    {
        _time = time;
        _environment = environment;
        _logger = logger;
        _minRefetch = configuration.GetValue("RemoteKeys:MinRefetch", TimeSpan.FromSeconds(10));
        _http = RemoteAddressPolicy.CreateClient(configuration, certificateCheck);
        _http.MaxResponseContentBufferSize = MaxDocumentBytes;
    }

    public static void AddRemoteKeySets(IServiceCollection services) => services.AddSingleton<RemoteKeySets>();

    /// <summary>Null when this URL may be fetched, else why not.</summary>
    public string? UrlProblem(string? url) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0
            ? "must be an absolute URL without credentials or fragment"
            : uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri) && _environment.IsDevelopment())
                ? null
                : "must use https (http only for a loopback host in development)";

    public async Task<JsonElement> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        if (UrlProblem(url) is { } problem)
        {
            throw new RemoteDocumentException($"{Shown(url)} {problem}");
        }

        try
        {
            // Read whole (to the 64 KB limit) within the timeout; a redirect is an answer like any other non-2xx.
            using var response = await _http.GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new RemoteDocumentException($"{Shown(url)} answered {(int)response.StatusCode}");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new RemoteDocumentException($"{Shown(url)} could not be read: {e.Message}", e);
        }
    }

    /// <param name="refetch">A token named a key we do not know: fetch again, unless that happened moments ago.</param>
    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(string jwksUri, TimeSpan lifespan, bool refetch, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_sets.TryGetValue(jwksUri, out var cached) && (now - cached.FetchedAt < lifespan && !refetch || now - cached.FetchedAt < _minRefetch))
        {
            return cached.Keys;
        }

        try
        {
            var json = await GetJsonAsync(jwksUri, cancellationToken);
            var keys = new JsonWebKeySet(json.GetRawText()).Keys.Where(k => k.Use is null or "sig").Cast<SecurityKey>().ToArray();
            _sets[jwksUri] = (keys, now, null);
            return keys;
        }
        catch (Exception e) when (e is RemoteDocumentException or ArgumentException)
        {
            _logger.LogWarning("Could not refresh the key set at {Url}; the cached keys stay in use: {Reason}", Shown(jwksUri), e.Message);
            _sets[jwksUri] = (cached.Keys ?? [], now, e.Message);
            return cached.Keys ?? [];
        }
    }

    /// <summary>Why the last fetch of this key set failed (its cached keys, if any, still serve); null after a success. For the audit trail, never a caller.</summary>
    public string? FetchProblem(string jwksUri) => _sets.TryGetValue(jwksUri, out var set) ? set.Problem : null;

    public void Dispose() => _http.Dispose();

    // Without the query: it may carry a key of the provider's, and logs and audit events hold no secrets.
    private static string Shown(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "the URL";

    private static bool IsLoopback(Uri uri) =>
        uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
