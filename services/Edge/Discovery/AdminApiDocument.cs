using System.Text.Json;
using System.Text.Json.Nodes;
using OAuthAspire.Edge.Security;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Discovery;

/// <summary>
/// The merged admin OpenAPI document: each service's own (<see cref="AdminOpenApi.DocumentPath"/>, asked
/// with the edge's service token for that service), merged by <see cref="OpenApiMerge"/>, kept a minute.
/// One merge runs at a time, on its own clock (no caller's disconnect cancels it, no service holds it
/// past <see cref="FetchTimeout"/>); callers meanwhile get the last merge at once, and only the first
/// callers of all wait for one. A failed merge is not retried for <see cref="RetryAfter"/>.
/// </summary>
public sealed class AdminApiDocument(IHttpClientFactory clients, ServiceTokenSigner signer, EdgeSettings settings, TimeProvider time,
    ILogger<AdminApiDocument> logger)
{
    /// <summary>The services with admin APIs, each the owner of its paths.</summary>
    public static readonly string[] Services =
        [ServiceNames.Authorize, ServiceNames.ClientRegistry, ServiceNames.Directory, ServiceNames.FederationTrust, ServiceNames.ScopePolicy, ServiceNames.Token,
         ServiceNames.AuditLog];

    private static readonly TimeSpan Fresh = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly Lock _gate = new();
    private Merged? _current;
    private Task<Merged?>? _merging;
    private DateTimeOffset _failedAt = DateTimeOffset.MinValue;

    /// <summary>One merge, never changed once made.</summary>
    private sealed record Merged(DateTimeOffset At, byte[] Json);

    public static string ClientName(string service) => "admin-openapi-" + service;

    public static void AddClients(IServiceCollection services)
    {
        foreach (var service in Services)
        {
            InternalTls.AddHttpClientFor(services, ClientName(service), service);
        }

        services.AddSingleton<AdminApiDocument>();
    }

    /// <summary>The merged document, or null when none could be made yet.</summary>
    public async Task<byte[]?> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        var now = time.GetUtcNow();
        if (current is not null && now - current.At < Fresh)
        {
            return current.Json;
        }

        Task<Merged?> merging;
        lock (_gate)
        {
            if (_merging is null && now - _failedAt >= RetryAfter)
            {
                // On the pool: the merge's own ending (which clears _merging under this lock) never runs inside it.
                _merging = Task.Run(MergeAsync);
            }

            merging = _merging ?? Task.FromResult<Merged?>(null);
        }

        // A stale merge now beats a fresh one later; without any, wait for this one.
        return current?.Json ?? (await merging.WaitAsync(cancellationToken))?.Json;
    }

    private async Task<Merged?> MergeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(FetchTimeout);
            var documents = await Task.WhenAll(Services.Select(service => FetchAsync(service, timeout.Token)));
            var document = OpenApiMerge.Merge([.. Services.Zip(documents)], settings.Issuer, AdminApi.AdminScope);
            var merged = new Merged(time.GetUtcNow(), JsonSerializer.SerializeToUtf8Bytes(document, Indented));
            Volatile.Write(ref _current, merged);
            return merged;
        }
        catch (Exception e)
        {
            // Whatever went wrong (a service away or slow, a document that is not one): the last merge stands.
            logger.LogWarning("The admin API description could not be merged: {Reason}", e.Message);
            _failedAt = time.GetUtcNow();
            return null;
        }
        finally
        {
            lock (_gate)
            {
                _merging = null;
            }
        }
    }

    private async Task<JsonObject> FetchAsync(string service, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AdminOpenApi.DocumentPath);
        request.Headers.Add(EdgeTrust.EdgeHeader, signer.TokenFor(service));
        using var response = await clients.CreateClient(ClientName(service)).SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonNode.ParseAsync(body, cancellationToken: cancellationToken) as JsonObject
            ?? throw new JsonException($"{service}'s admin API description is not a JSON object.");
    }
}
