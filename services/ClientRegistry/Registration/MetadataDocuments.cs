using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Grpc.Core;
using Npgsql;
using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Registration;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>
/// Client ID Metadata Documents, when <c>Registration:MetadataDocumentPolicy</c> names the policy they
/// are held to. Only a <c>GetClient</c> asking to resolve (where a client starts a flow: authorization,
/// PAR, device authorization) fetches: never the token endpoint or the edge. A document is fetched
/// through the private-address filter, 5 KB at most, no redirects, answered 200 exactly; per replica,
/// one fetch per URL at a time, <see cref="MaxFetchesPerHost"/> per host and <see cref="MaxFetches"/>
/// in all (past them a stored client is served from its copy, a new one answered 503). It is stored
/// as an ordinary client row (origin <c>metadata_document</c>) through the registry's own writes, so
/// events, caches, deactivation and token cut-offs all apply, and a new one counts against the policy's
/// <c>maxClients</c>; kept until its cache time (<see cref="ClientIdMetadataDocument.CacheLifetime"/>).
/// A changed document updates the client (a changed credential cuts its tokens off); one gone (404,
/// 410) deactivates it until it is back. A refused document, or a failed fetch of one never stored,
/// stops the request; a failed refetch lets the stored copy serve. Either is audited and remembered
/// for about a minute, so a URL costs about a fetch and an audit event a minute. A client an
/// administrator deleted is never fetched again.
/// </summary>
public sealed class MetadataDocuments : IClientResolver, IDisposable
{
    public const int MaxFetches = 16;

    /// <summary>One host's share of the fetch slots: a slow host cannot take them all.</summary>
    public const int MaxFetchesPerHost = 4;
    private static readonly TimeSpan FailureMemory = TimeSpan.FromMinutes(1);

    private readonly RegistrationSettings _settings;
    private readonly RegistrationPolicies _policies;
    private readonly ClientStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly IAuditSink _audit;
    private readonly TimeProvider _time;
    private readonly bool _development;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _fetchSlots = new(MaxFetches);
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _inFlight = new(StringComparer.Ordinal);
    private readonly ExpiringCache<string, bool> _failed = new(FailureMemory);
    private readonly ConcurrentDictionary<string, int> _perHost = new(StringComparer.OrdinalIgnoreCase);

    public MetadataDocuments(RegistrationSettings settings, RegistrationPolicies policies, ClientStore store, IServiceScopeFactory scopes, IAuditSink audit,
        IHostEnvironment environment, IConfiguration configuration, TimeProvider time)
    {
        (_settings, _policies, _store, _scopes, _audit, _time) = (settings, policies, store, scopes, audit, time);
        _development = environment.IsDevelopment();
        _http = RemoteAddressPolicy.CreateClient(configuration);
    }

    private sealed record StoredState
    {
        public required string Origin { get; init; }
        public bool Deleted { get; init; }
        public bool Active { get; init; }
        public bool DocumentGone { get; init; }
        public byte[]? DocumentHash { get; init; }
        public DateTime? DocumentExpiresAt { get; init; }
    }

    public bool Resolves(string clientId) => _settings.MetadataDocumentPolicy is not null && ClientIdMetadataDocument.IsUrl(clientId);

    /// <summary>Makes sure the client named by this URL is stored and fresh.</summary>
    /// <returns>False when it cannot be used now (a bad URL, a failed fetch, a refused document): the request stops.</returns>
    public async Task<bool> ResolveAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!Resolves(clientId) || ClientIdMetadataDocument.UrlProblem(clientId, _development) is not null)
        {
            return false;
        }

        if (_failed.TryGet(clientId, out var remembered))
        {
            return remembered;
        }

        // Callers of one URL share its resolution; it runs to its own timeout whoever gives up waiting.
        var shared = _inFlight.GetOrAdd(clientId, id => new Lazy<Task<bool>>(() => ResolveOnceAsync(id)));
        return await shared.Value.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        _http.Dispose();
        _fetchSlots.Dispose();
    }

    private async Task<bool> ResolveOnceAsync(string clientId)
    {
        try
        {
            return await ResolveStoredAsync(clientId, CancellationToken.None);
        }
        finally
        {
            _inFlight.TryRemove(clientId, out _);
        }
    }

    private async Task<bool> ResolveStoredAsync(string clientId, CancellationToken cancellationToken)
    {
        var state = await StateAsync(clientId, cancellationToken);
        if (state is { Deleted: true })
        {
            return false;
        }

        if (state is not null && state.Origin != ClientIdMetadataDocument.Origin)
        {
            return true;
        }

        if (state?.DocumentExpiresAt > _time.GetUtcNow().UtcDateTime)
        {
            return true;
        }

        var host = new Uri(clientId).Host;
        if (!TakeSlot(host))
        {
            // No slot: a client already stored is served from its copy until the next try; a new one waits for a quieter moment.
            return state is not null
                ? true
                : throw new RpcException(new Status(StatusCode.Unavailable, "Too many client metadata documents are being fetched; retry shortly."));
        }

        (byte[]? Bytes, TimeSpan? MaxAge, HttpStatusCode? Status, string? Problem) fetched;
        try
        {
            fetched = await FetchAsync(clientId, cancellationToken);
        }
        finally
        {
            ReleaseSlot(host);
        }

        if (fetched.Problem is not null)
        {
            var gone = fetched.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone;
            if (state is { Active: true } && gone)
            {
                await DeactivateAsync(clientId, cancellationToken);
            }

            // A stored client outlives its host's bad moment (its copy serves); only a document gone, or never had, stops the request.
            return await RefuseAsync(clientId, new RegistrationError(RegistrationError.InvalidClientMetadata, fetched.Problem) { Field = "document" },
                cancellationToken, answer: state is not null && !gone);
        }

        var policy = _settings.MetadataDocumentPolicy is { } name ? await _policies.FindAsync(name, cancellationToken) : null;
        // The policy's version counts too: a policy changed re-applies to an unchanged document.
        var hash = SHA256.HashData([.. fetched.Bytes!, .. Encoding.UTF8.GetBytes($"\n{policy?.Version}")]);
        var expiresAt = _time.GetUtcNow() + ClientIdMetadataDocument.CacheLifetime(fetched.MaxAge);
        if (state?.DocumentHash is { } known && CryptographicOperations.FixedTimeEquals(known, hash))
        {
            await KeepAsync(clientId, expiresAt, cancellationToken);
            return true;
        }

        var (metadata, scopes, error) = Read(fetched.Bytes!, clientId, policy);
        if (error is not null)
        {
            return await RefuseAsync(clientId, error, cancellationToken);
        }

        await using var scope = _scopes.CreateAsyncScope();
        var validator = scope.ServiceProvider.GetRequiredService<ClientValidator>();
        var writes = scope.ServiceProvider.GetRequiredService<ClientWrites>();
        // The record as it is now, after the fetch: the update is written over exactly this version (checked under the lock below).
        // Active stays as an administrator left it; a client deactivated only because its document was gone comes back with it.
        var existing = await _store.FindAsync(clientId, cancellationToken);
        var active = existing is null || existing.Active || state is { DocumentGone: true };
        var (client, validation) = await validator.ValidateAsync(RegistrationEndpoints.ToDto(metadata!, scopes, policy!.Rules) with { Active = active },
            clientId, existing, cancellationToken);
        if (client is null)
        {
            return await RefuseAsync(clientId, RegistrationEndpoints.FromValidation(validation), cancellationToken);
        }

        client = client with { PkceRequired = true, SecretHash = null };
        var actor = AuditActor.Client(clientId);
        var full = false;
        async Task<bool> Also(NpgsqlTransaction tx)
        {
            if (existing is null && policy.MaxClients is { } max && await Registrations.CountLockedAsync(tx, policy.Rules.Name, cancellationToken) >= max)
            {
                full = true;
                return false;
            }

            // Written over exactly the version read: anything changed meanwhile, and this resolution gives way.
            if (existing is not null && await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT version FROM oauth_client WHERE client_id = @clientId", new { clientId }, tx, cancellationToken: cancellationToken)) != existing.Version + 1)
            {
                return false;
            }

            await Registrations.SaveAsync(tx, clientId, policy.Rules.Name, null, metadata!, cancellationToken, ClientIdMetadataDocument.Origin);
            await tx.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE oauth_client SET document_hash = @hash, document_expires_at = @expiresAt, document_gone = false WHERE client_id = @clientId",
                new { clientId, hash, expiresAt = expiresAt.UtcDateTime }, tx, cancellationToken: cancellationToken));
            if (existing is not null && (existing.Public != client.Public || !SameJson(existing.JwtVerifier, client.JwtVerifier)))
            {
                await writes.CutOffAsync(tx, clientId, actor, "its metadata document changed how it authenticates", cancellationToken);
            }

            await _audit.WriteAsync(tx, new ClientMetadataDocumentFetched(clientId, policy.Rules.Name, existing is not null) { Actor = actor }, cancellationToken);
            return true;
        }

        var written = existing is null
            ? await writes.CreateAsync(client, actor, Also, cancellationToken)
            : await writes.UpdateAsync(client, existing.Active, actor, Also, cancellationToken);
        return written switch
        {
            ClientWrite.Done => true,
            // Another replica stored it meanwhile, or an administrator deleted it: the look-up that follows finds what there is.
            ClientWrite.Taken or ClientWrite.Gone => true,
            ClientWrite.Aborted when full => await RefuseAsync(clientId,
                RegistrationError.Metadata("registration", $"the policy '{policy.Rules.Name}' has all the clients it may have"), cancellationToken),
            ClientWrite.Aborted => true,
            ClientWrite.Invalid invalid => await RefuseAsync(clientId, RegistrationEndpoints.FromValidation(invalid.Validation), cancellationToken),
            _ => throw new RpcException(new Status(StatusCode.Unavailable, "Scope or user information is unavailable; retry shortly.")),
        };
    }

    /// <summary>The document as metadata held to the policy, with the rules no document may break.</summary>
    private (ClientMetadata?, IReadOnlyList<string>, RegistrationError?) Read(byte[] bytes, string clientId, StoredPolicy? policy)
    {
        if (policy is null)
        {
            return (null, [], RegistrationError.Metadata("registration", "the metadata document policy does not exist"));
        }

        if (policy.Rules.Statements is { Required: true })
        {
            return (null, [], SoftwareStatement.Missing());
        }

        JsonElement document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 }).RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, [], RegistrationError.Metadata("document", "must be a JSON object"));
        }

        var (metadata, error) = ClientIdMetadataDocument.Read(document, clientId, _development);
        if (error is not null)
        {
            return (null, [], error);
        }

        // Anyone can publish a document: no unverified statement is kept, and no client acts without a user.
        if (metadata!.SoftwareStatement is not null)
        {
            return (null, [], new RegistrationError(RegistrationError.UnapprovedSoftwareStatement, "software_statement: not taken from a metadata document")
                { Field = "software_statement" });
        }

        if (metadata.GrantTypes.Contains(GrantTypes.ClientCredentials))
        {
            return (null, [], RegistrationError.Metadata("grant_types", "client_credentials is not for clients described by a metadata document"));
        }

        var (scopes, policyError) = RegistrationPolicyRules.Apply(metadata, policy.Rules);
        return (metadata, scopes, policyError);
    }

    /// <summary>The document's bytes and max-age, or why it cannot be had (detail for the audit trail only).</summary>
    private async Task<(byte[]? Bytes, TimeSpan? MaxAge, HttpStatusCode? Status, string? Problem)> FetchAsync(string url, CancellationToken requestAborted)
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
                return (null, null, response.StatusCode, $"document: answered {(int)response.StatusCode}, not 200");
            }

            if (response.Content.Headers.ContentLength > ClientIdMetadataDocument.MaxBytes)
            {
                return (null, null, response.StatusCode, $"document: larger than {ClientIdMetadataDocument.MaxBytes} bytes");
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
                ? (null, null, response.StatusCode, $"document: larger than {ClientIdMetadataDocument.MaxBytes} bytes")
                : (buffer[..length], response.Headers.CacheControl is { NoStore: false, NoCache: false, MaxAge: { } age } ? age : null, response.StatusCode, null);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException
            || (e is OperationCanceledException && !requestAborted.IsCancellationRequested))
        {
            return (null, null, null, $"document: could not be fetched: {e.Message}");
        }
    }

    private async Task<StoredState?> StateAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<StoredState>(new CommandDefinition("""
            SELECT origin, deleted_at IS NOT NULL AS deleted, active, document_gone, document_hash, document_expires_at
            FROM oauth_client WHERE client_id = @clientId
            """, new { clientId }, cancellationToken: cancellationToken));
    }

    private async Task KeepAsync(string clientId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE oauth_client SET document_expires_at = @expiresAt WHERE client_id = @clientId",
            new { clientId, expiresAt = expiresAt.UtcDateTime }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The document is gone (404, 410): the client is deactivated, its tokens cut off, as an administrator's deactivation would;
    /// marked so that the document's return brings it back (an administrator's deactivation stays).
    /// </summary>
    private async Task DeactivateAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        if (await _store.FindAsync(clientId, cancellationToken) is { Active: true } client)
        {
            await scope.ServiceProvider.GetRequiredService<ClientWrites>().UpdateAsync(client with { Active = false }, true, AuditActor.Client(clientId),
                async tx =>
                {
                    // Over exactly the version read, like every resolver write.
                    var version = await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
                        "UPDATE oauth_client SET document_gone = true WHERE client_id = @clientId RETURNING version", new { clientId }, tx,
                        cancellationToken: cancellationToken));
                    return version == client.Version + 1;
                }, cancellationToken);
        }
    }

    private static bool SameJson(string? stored, string? written) =>
        stored is null || written is null ? stored == written : JsonNode.DeepEquals(JsonNode.Parse(stored), JsonNode.Parse(written));

    private bool TakeSlot(string host)
    {
        if (_perHost.AddOrUpdate(host, 1, (_, n) => n + 1) > MaxFetchesPerHost || !_fetchSlots.Wait(TimeSpan.Zero))
        {
            ReleaseHost(host);
            return false;
        }

        return true;
    }

    private void ReleaseSlot(string host)
    {
        _fetchSlots.Release();
        ReleaseHost(host);
    }

    private void ReleaseHost(string host)
    {
        if (_perHost.AddOrUpdate(host, 0, (_, n) => n - 1) <= 0)
        {
            _perHost.TryRemove(KeyValuePair.Create(host, 0));
        }
    }

    /// <param name="answer">What the look-ups get meanwhile: false stops them; true lets a stored client's copy serve.</param>
    private async Task<bool> RefuseAsync(string clientId, RegistrationError error, CancellationToken cancellationToken, bool answer = false)
    {
        _failed.Set(clientId, answer);
        await _audit.WriteAsync(new ClientMetadataDocumentRefused(clientId, error.Error, error.Field)
        {
            Outcome = AuditOutcome.Failure,
            Reason = error.Description,
        }, cancellationToken);
        return answer;
    }
}
