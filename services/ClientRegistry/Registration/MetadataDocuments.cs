using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Registration;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>
/// Client ID Metadata Documents, when <c>Registration:MetadataDocumentPolicy</c> names the policy they
/// are held to. Only a <c>GetClient</c> asking to resolve (authorize's authorization endpoint) fetches:
/// never the token endpoint or the edge, where anyone could make the server fetch any URL. A document
/// is fetched through the private-address filter, 5 KB at most, no redirects, answered 200 exactly;
/// it is stored as an ordinary client row (origin <c>metadata_document</c>) through the registry's own
/// writes, so events, caches, deactivation and token cut-offs all apply; kept until its cache time
/// (<see cref="ClientIdMetadataDocument.CacheLifetime"/>); a changed one updates the client. A failed
/// fetch or a refused document stops the request (nothing cached), and is audited.
/// </summary>
public sealed class MetadataDocuments : IClientResolver, IDisposable
{
    private readonly RegistrationSettings _settings;
    private readonly RegistrationPolicies _policies;
    private readonly ClientStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly IAuditSink _audit;
    private readonly TimeProvider _time;
    private readonly bool _development;
    private readonly HttpClient _http;

    public MetadataDocuments(RegistrationSettings settings, RegistrationPolicies policies, ClientStore store, IServiceScopeFactory scopes, IAuditSink audit,
        IHostEnvironment environment, IConfiguration configuration, TimeProvider time)
    {
        (_settings, _policies, _store, _scopes, _audit, _time) = (settings, policies, store, scopes, audit, time);
        _development = environment.IsDevelopment();
        // A client of its own: the factory's defaults (service discovery, retries) have no business with addresses others choose.
        _http = new HttpClient(RemoteAddressPolicy.FromConfiguration(configuration).CreateHandler())
        {
            Timeout = configuration.GetValue(RemoteKeySets.TimeoutKey, TimeSpan.FromSeconds(5)),
        };
    }

    private sealed record DocumentState
    {
        public byte[]? DocumentHash { get; init; }
        public DateTime? DocumentExpiresAt { get; init; }
    }

    public bool Resolves(string clientId) => _settings.MetadataDocumentPolicy is not null && ClientIdMetadataDocument.IsUrl(clientId);

    /// <summary>Makes sure the client named by this URL is stored and fresh.</summary>
    /// <returns>False when it cannot be used now (a bad URL, a failed fetch, a refused document): the request stops.</returns>
    public async Task<bool> ResolveAsync(string clientId, CancellationToken cancellationToken)
    {
        if (_settings.MetadataDocumentPolicy is not { } policyName || ClientIdMetadataDocument.UrlProblem(clientId, _development) is not null)
        {
            return false;
        }

        var existing = await _store.FindAsync(clientId, cancellationToken);
        if (existing is not null && existing.Origin != ClientIdMetadataDocument.Origin)
        {
            return true;
        }

        var state = await StateAsync(clientId, cancellationToken);
        if (existing is not null && state?.DocumentExpiresAt > _time.GetUtcNow().UtcDateTime)
        {
            return true;
        }

        var (bytes, maxAge, fetchProblem) = await FetchAsync(clientId, cancellationToken);
        if (fetchProblem is not null)
        {
            return await RefuseAsync(clientId, new RegistrationError(RegistrationError.InvalidClientMetadata, fetchProblem) { Field = "document" }, cancellationToken);
        }

        var hash = SHA256.HashData(bytes!);
        var expiresAt = _time.GetUtcNow() + ClientIdMetadataDocument.CacheLifetime(maxAge);
        if (existing is not null && state?.DocumentHash is { } known && CryptographicOperations.FixedTimeEquals(known, hash))
        {
            await KeepAsync(clientId, expiresAt, cancellationToken);
            return true;
        }

        var policy = await _policies.FindAsync(policyName, cancellationToken);
        JsonElement document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 }).RootElement.Clone();
        }
        catch (JsonException)
        {
            return await RefuseAsync(clientId, RegistrationError.Metadata("document", "must be a JSON object"), cancellationToken);
        }

        var (metadata, error) = ClientIdMetadataDocument.Read(document, clientId, _development);
        var (scopes, policyError) = metadata is null || policy is null ? ([], null) : RegistrationPolicyRules.Apply(metadata, policy.Rules);
        error ??= policy is null ? RegistrationError.Metadata("registration", $"the metadata document policy '{policyName}' does not exist") : policyError;
        if (error is not null)
        {
            return await RefuseAsync(clientId, error, cancellationToken);
        }

        await using var scope = _scopes.CreateAsyncScope();
        var validator = scope.ServiceProvider.GetRequiredService<ClientValidator>();
        var writes = scope.ServiceProvider.GetRequiredService<ClientWrites>();
        var (client, validation) = await validator.ValidateAsync(RegistrationEndpoints.ToDto(metadata!, scopes, policy!.Rules) with { Active = existing?.Active ?? true },
            clientId, existing, cancellationToken);
        if (client is null)
        {
            return await RefuseAsync(clientId, RegistrationEndpoints.FromValidation(validation), cancellationToken);
        }

        client = client with { PkceRequired = true, SecretHash = null };
        var actor = AuditActor.Client(clientId);
        async Task<bool> Also(Npgsql.NpgsqlTransaction tx)
        {
            await Registrations.SaveAsync(tx, clientId, policy.Rules.Name, null, metadata!, cancellationToken, ClientIdMetadataDocument.Origin);
            await tx.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE oauth_client SET document_hash = @hash, document_expires_at = @expiresAt WHERE client_id = @clientId",
                new { clientId, hash, expiresAt = expiresAt.UtcDateTime }, tx, cancellationToken: cancellationToken));
            await _audit.WriteAsync(tx, new ClientMetadataDocumentFetched(clientId, policy.Rules.Name, existing is not null) { Actor = actor }, cancellationToken);
            return true;
        }

        var written = existing is null
            ? await writes.CreateAsync(client, actor, Also, cancellationToken)
            : await writes.UpdateAsync(client, existing.Active, actor, Also, cancellationToken);
        return written switch
        {
            ClientWrite.Done => true,
            // Another request stored it meanwhile (or an administrator deleted it: then the lookup finds nothing).
            ClientWrite.Taken or ClientWrite.Gone => true,
            ClientWrite.Invalid invalid => await RefuseAsync(clientId, RegistrationEndpoints.FromValidation(invalid.Validation), cancellationToken),
            _ => false,
        };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The document's bytes and max-age, or why it cannot be had (detail for the audit trail only).</summary>
    private async Task<(byte[]? Bytes, TimeSpan? MaxAge, string? Problem)> FetchAsync(string url, CancellationToken requestAborted)
    {
        // The timeout covers the body too: a server trickling bytes holds nothing for long.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        timeout.CancelAfter(_http.Timeout);
        var cancellationToken = timeout.Token;
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, null, $"document: answered {(int)response.StatusCode}, not 200");
            }

            if (response.Content.Headers.ContentLength > ClientIdMetadataDocument.MaxBytes)
            {
                return (null, null, $"document: larger than {ClientIdMetadataDocument.MaxBytes} bytes");
            }

            // Read to one byte past the limit, whatever the headers said: a body without a length is held to it too.
            var buffer = new byte[ClientIdMetadataDocument.MaxBytes + 1];
            var length = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                int read;
                while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
                {
                    length += read;
                }
            }

            return length > ClientIdMetadataDocument.MaxBytes
                ? (null, null, $"document: larger than {ClientIdMetadataDocument.MaxBytes} bytes")
                : (buffer[..length], response.Headers.CacheControl is { NoStore: false, NoCache: false, MaxAge: { } age } ? age : null, null);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException
            || (e is OperationCanceledException && !requestAborted.IsCancellationRequested))
        {
            return (null, null, $"document: could not be fetched: {e.Message}");
        }
    }

    private async Task<DocumentState?> StateAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DocumentState>(new CommandDefinition(
            "SELECT document_hash, document_expires_at FROM oauth_client WHERE client_id = @clientId AND deleted_at IS NULL",
            new { clientId }, cancellationToken: cancellationToken));
    }

    private async Task KeepAsync(string clientId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE oauth_client SET document_expires_at = @expiresAt WHERE client_id = @clientId",
            new { clientId, expiresAt = expiresAt.UtcDateTime }, cancellationToken: cancellationToken));
    }

    private async Task<bool> RefuseAsync(string clientId, RegistrationError error, CancellationToken cancellationToken)
    {
        await _audit.WriteAsync(new ClientMetadataDocumentRefused(clientId, error.Error, error.Field)
        {
            Outcome = AuditOutcome.Failure,
            Reason = error.Description,
        }, cancellationToken);
        return false;
    }
}
