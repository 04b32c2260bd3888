using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>A provider's endpoint could not answer (down, slow, unreadable): nothing can be concluded from it.</summary>
/// <param name="fresh">False when no call was made (the endpoint failed moments ago): not worth another audit row.</param>
public sealed class ProviderUnavailableException(string message, bool fresh = true) : Exception(message)
{
    public bool Fresh { get; } = fresh;
}

/// <summary>
/// Calls to a trusted provider's endpoints as our client there (introspection, the token endpoint
/// of a brokered sign-in): client_secret_basic (each part form-encoded first, RFC 6749 §2.3.1) or
/// client_secret_post, through the same guarded HTTP client as its keys (HTTPS, allowed addresses,
/// timeout, 64 KB, no redirects). Messages name the endpoint without its query, never a secret.
/// </summary>
public sealed class ProviderCalls(IConfiguration configuration, ProviderSecrets secrets) : IDisposable
{
    private readonly HttpClient _http = CreateClient(configuration);

    /// <returns>The status and the JSON body (null when the body is not JSON).</returns>
    /// <exception cref="ProviderUnavailableException">No answer could be had.</exception>
    public async Task<(int Status, JsonElement? Body)> PostAsync(TrustRecord trust, string endpoint, IEnumerable<KeyValuePair<string, string>> parameters,
        CancellationToken cancellationToken)
    {
        var clientId = trust.ProviderClientId ?? throw new ProviderUnavailableException("the trust has no provider client");
        string secret;
        try
        {
            secret = secrets.Open(trust);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new ProviderUnavailableException("the stored provider client secret cannot be opened (was federation-trust's key-encryption key changed?); save the trust with its secret again");
        }
        var form = parameters.ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (trust.ProviderClientAuth == ProviderClientAuthMethods.Post)
        {
            form.Add(new("client_id", clientId));
            form.Add(new("client_secret", secret));
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        }

        request.Content = new FormUrlEncodedContent(form);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            try
            {
                using var document = JsonDocument.Parse(text);
                return ((int)response.StatusCode, document.RootElement.Clone());
            }
            catch (JsonException)
            {
                return ((int)response.StatusCode, null);
            }
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ProviderUnavailableException($"{Shown(endpoint)} could not be read: {e.Message}");
        }
    }

    /// <summary>The OAuth <c>error</c> of an answer's JSON body (RFC 6749 §5.2), if it names one.</summary>
    public static string? ErrorOf(JsonElement? body) =>
        body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>A value the provider (or whoever forged its answer) chose, cut short for logs and the audit trail.</summary>
    public static string Short(string value) => value.Length > 64 ? value[..64] : value;

    /// <summary>The endpoint without its query, for logs and the audit trail.</summary>
    public static string Shown(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "the endpoint";

    private static HttpClient CreateClient(IConfiguration configuration)
    {
        var http = RemoteAddressPolicy.CreateClient(configuration);
        http.MaxResponseContentBufferSize = RemoteKeySets.MaxDocumentBytes;
        return http;
    }

    public void Dispose() => _http.Dispose();
}
