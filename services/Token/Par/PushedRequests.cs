using System.Text.Json;
using Dapper;
using Npgsql;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Token.Par;

/// <summary>
/// Pushed authorization requests (RFC 9126), in PostgreSQL so every replica of the token and
/// authorize services sees them. The authorization endpoint may read one again and again while
/// its user signs in (a reload must not fail them, §4); issuing a code spends it, once.
/// </summary>
public sealed class PushedRequests(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <returns>The request URI to hand the client.</returns>
    public async Task<string> SaveAsync(string clientId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var (requestUri, hash) = PushedAuthorization.NewRequestUri();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO pushed_authorization_request (request_hash, client_id, parameters, expires_at)
            VALUES (@hash, @clientId, @json::jsonb, @expiresAt)
            """, new { hash, clientId, json = JsonSerializer.Serialize(parameters), expiresAt = (time.GetUtcNow() + PushedAuthorization.Lifetime).UtcDateTime },
            cancellationToken: cancellationToken));
        return requestUri;
    }

    /// <summary>The pushed parameters; null when the URI is unknown, another client's, expired or spent.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> FindAsync(string requestUri, string clientId, CancellationToken cancellationToken)
    {
        if (PushedAuthorization.HashOf(requestUri) is not { } hash)
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var json = await connection.ExecuteScalarAsync<string?>(new CommandDefinition("""
            SELECT parameters::text FROM pushed_authorization_request
            WHERE request_hash = @hash AND client_id = @clientId AND used_at IS NULL AND expires_at > @now
            """, new { hash, clientId, now = time.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken));
        return json is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(json);
    }

    /// <summary>Spends the request in the caller's transaction (the code's); false when it is unknown, expired or spent already.</summary>
    public static async Task<bool> SpendAsync(NpgsqlTransaction tx, string requestUri, string clientId, DateTimeOffset now, CancellationToken cancellationToken) =>
        PushedAuthorization.HashOf(requestUri) is { } hash && await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            UPDATE pushed_authorization_request SET used_at = @now
            WHERE request_hash = @hash AND client_id = @clientId AND used_at IS NULL AND expires_at > @now
            """, new { hash, clientId, now = now.UtcDateTime }, tx, cancellationToken: cancellationToken)) == 1;

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM pushed_authorization_request WHERE expires_at < now() - interval '1 hour'", cancellationToken: cancellationToken));
    }
}
