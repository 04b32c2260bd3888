using System.Collections.Concurrent;
using System.Net;
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
/// Fetched over HTTPS only (plain http for a loopback host in Development), with a 5 s timeout, a
/// 64 KB limit and no redirects. Key sets are cached per URL for the lifespan the caller gives,
/// refetched on demand (an unknown kid) at most every <c>RemoteKeys:MinRefetch</c> (10 s), and
/// kept serving when a refetch fails: an outage at the provider must not lock its users out.
/// </summary>
public sealed class RemoteKeySets(IHttpClientFactory httpClients, TimeProvider time, IHostEnvironment environment, IConfiguration configuration,
    ILogger<RemoteKeySets> logger)
{
    public const string HttpClientName = "remote-documents";
    private readonly TimeSpan _minRefetch = configuration.GetValue("RemoteKeys:MinRefetch", TimeSpan.FromSeconds(10));
    private readonly ConcurrentDictionary<string, (IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt)> _sets = new(StringComparer.Ordinal);

    public static void AddRemoteKeySets(IServiceCollection services)
    {
        services.AddSingleton<RemoteKeySets>();
        services.AddHttpClient(HttpClientName, c =>
        {
            c.Timeout = TimeSpan.FromSeconds(5);
            c.MaxResponseContentBufferSize = 64 * 1024;
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
    }

    /// <summary>Null when this URL may be fetched, else why not.</summary>
    public string? UrlProblem(string? url) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0
            ? "must be an absolute URL without credentials or fragment"
            : uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri) && environment.IsDevelopment())
                ? null
                : "must use https (http only for a loopback host in development)";

    public async Task<JsonElement> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        if (UrlProblem(url) is { } problem)
        {
            throw new RemoteDocumentException($"{url} {problem}");
        }

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new RemoteDocumentException($"{url} answered {(int)response.StatusCode}");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new RemoteDocumentException($"{url} could not be read: {e.Message}", e);
        }
    }

    /// <param name="refetch">A token named a key we do not know: fetch again, unless that happened moments ago.</param>
    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(string jwksUri, TimeSpan lifespan, bool refetch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_sets.TryGetValue(jwksUri, out var cached) && (now - cached.FetchedAt < lifespan && !refetch || now - cached.FetchedAt < _minRefetch))
        {
            return cached.Keys;
        }

        try
        {
            var json = await GetJsonAsync(jwksUri, cancellationToken);
            var keys = new JsonWebKeySet(json.GetRawText()).Keys.Where(k => k.Use is null or "sig").Cast<SecurityKey>().ToArray();
            _sets[jwksUri] = (keys, now);
            return keys;
        }
        catch (Exception e) when (e is RemoteDocumentException or ArgumentException)
        {
            logger.LogWarning("Could not refresh the key set at {Url}; the cached keys stay in use: {Reason}", jwksUri, e.Message);
            _sets[jwksUri] = (cached.Keys ?? [], now);
            return cached.Keys ?? [];
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
