using Dapper;
using Npgsql;

namespace OAuthAspire.Token.Assertions;

/// <summary>One-time assertion ids per client, kept in PostgreSQL so every replica agrees.</summary>
public sealed class JtiStore(NpgsqlDataSource dataSource)
{
    /// <returns>False when the id was used before (a replay).</returns>
    public async ValueTask<bool> TryUseAsync(string clientId, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (jti.Length > 256)
        {
            return false;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO used_jti (client_id, jti, expires_at) VALUES (@clientId, @jti, @expires) ON CONFLICT DO NOTHING",
            new { clientId, jti, expires = expiresAt.UtcDateTime }, cancellationToken: cancellationToken)) == 1;
    }
}
