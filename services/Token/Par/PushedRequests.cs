using System.Text.Json;
using Dapper;
using Npgsql;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Token.Par;

/// <summary>
/// Pushed authorization requests (RFC 9126), in PostgreSQL so every replica of the token and
/// authorize services sees them. The request URI must reach the authorization endpoint within its
/// 60 s; that first read claims the request for as long as a sign-in may take
/// (<see cref="SignInTime"/>), during which it may be read again (a reload must not fail the user,
/// §4). Issuing a code spends it, once.
/// </summary>
public sealed class PushedRequests(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>How long a sign-in may take once it began: the authorize service's pending requests live as long.</summary>
    public static readonly TimeSpan SignInTime = TimeSpan.FromMinutes(10);

    /// <returns>The request URI to hand the client.</returns>
    /// <param name="signed">The parameters came in a request object the client signed (RFC 9101).</param>
    public async Task<string> SaveAsync(string clientId, IReadOnlyDictionary<string, string> parameters, bool signed, CancellationToken cancellationToken)
    {
        var (requestUri, hash) = PushedAuthorization.NewRequestUri();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO pushed_authorization_request (request_hash, client_id, parameters, signed, expires_at)
            VALUES (@hash, @clientId, @json::jsonb, @signed, @expiresAt)
            """, new { hash, clientId, json = JsonSerializer.Serialize(parameters), signed, expiresAt = (time.GetUtcNow() + PushedAuthorization.Lifetime).UtcDateTime },
            cancellationToken: cancellationToken));
        return requestUri;
    }

    /// <summary>
    /// The pushed parameters, claiming the request at its first read; null when the URI is unknown,
    /// another client's, spent, or neither read in time nor claimed any more.
    /// </summary>
    public async Task<(IReadOnlyDictionary<string, string> Parameters, bool Signed)?> ClaimAsync(string requestUri, string clientId,
        CancellationToken cancellationToken)
    {
        if (PushedAuthorization.HashOf(requestUri) is not { } hash)
        {
            return null;
        }

        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Json, bool Signed)?>(new CommandDefinition("""
            UPDATE pushed_authorization_request SET claimed_until = COALESCE(claimed_until, @claimedUntil)
            WHERE request_hash = @hash AND client_id = @clientId AND used_at IS NULL
              AND (expires_at > @now OR claimed_until > @now)
            RETURNING parameters::text, signed
            """, new { hash, clientId, now = now.UtcDateTime, claimedUntil = (now + SignInTime).UtcDateTime }, cancellationToken: cancellationToken));
        return row is { } found ? (JsonSerializer.Deserialize<Dictionary<string, string>>(found.Json)!, found.Signed) : null;
    }

    /// <summary>Spends the request in the caller's transaction (the code's); false when it is unknown, spent already, or its claim ran out.</summary>
    public static async Task<bool> SpendAsync(NpgsqlTransaction tx, string requestUri, string clientId, DateTimeOffset now, CancellationToken cancellationToken) =>
        PushedAuthorization.HashOf(requestUri) is { } hash && await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            UPDATE pushed_authorization_request SET used_at = @now
            WHERE request_hash = @hash AND client_id = @clientId AND used_at IS NULL AND (expires_at > @now OR claimed_until > @now)
            """, new { hash, clientId, now = now.UtcDateTime }, tx, cancellationToken: cancellationToken)) == 1;

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Gone once nothing can use them any more: unread in time, or their claim over (spent ones too).
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM pushed_authorization_request WHERE GREATEST(expires_at, COALESCE(claimed_until, expires_at)) < now()",
            cancellationToken: cancellationToken));
    }
}
