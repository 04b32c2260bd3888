using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>An initial access token as the admin API shows it; <c>token</c> only in the answer to its creation.</summary>
public sealed record InitialAccessTokenDto(string Id, string Policy, int? MaxUses, int Uses, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt,
    string? Token = null);

/// <summary>What an administrator asks for: a policy, how many registrations (null: any number), for how long (seconds, default a day).</summary>
public sealed record NewInitialAccessToken(string? Policy, int? MaxUses, int? ExpiresIn);

/// <summary>
/// Initial access tokens (RFC 7591 §3): 256 random bits handed out once, kept as SHA-256 (random, so no
/// slow hash is needed), each spent once per registration up to its limit, under its policy.
/// </summary>
public sealed class InitialAccessTokens(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, policy, max_uses, uses, expires_at, revoked_at";

    public NpgsqlDataSource DataSource => dataSource;

    private sealed record Row
    {
        public required string Id { get; init; }
        public required string Policy { get; init; }
        public int? MaxUses { get; init; }
        public int Uses { get; init; }
        public DateTime ExpiresAt { get; init; }
        public DateTime? RevokedAt { get; init; }

        public InitialAccessTokenDto ToDto() => new(Id, Policy, MaxUses, Uses, Utc(ExpiresAt), RevokedAt is { } r ? Utc(r) : null);

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <returns>The token (shown once) and its record.</returns>
    public static async Task<InitialAccessTokenDto> CreateAsync(NpgsqlTransaction tx, string policy, int? maxUses, TimeSpan lifetime,
        CancellationToken cancellationToken)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var created = await tx.Connection!.QuerySingleAsync<Row>(new CommandDefinition($"""
            INSERT INTO initial_access_token (id, token_hash, policy, max_uses, expires_at) VALUES (@id, @hash, @policy, @maxUses, now() + @lifetime)
            RETURNING {Columns}
            """, new { id, hash = Hash(token), policy, maxUses, lifetime }, tx, cancellationToken: cancellationToken));
        return created.ToDto() with { Token = token };
    }

    public async Task<IReadOnlyList<InitialAccessTokenDto>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM initial_access_token ORDER BY created_at DESC, id LIMIT 1000", cancellationToken: cancellationToken))).Select(r => r.ToDto()).ToArray();
    }

    /// <returns>False when there was no such live token.</returns>
    public static async Task<bool> RevokeAsync(NpgsqlTransaction tx, string id, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE initial_access_token SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL",
            new { id }, tx, cancellationToken: cancellationToken)) == 1;

    /// <summary>The live token's id and policy, without spending it; null when unknown, revoked, expired or used up.</summary>
    public async Task<(string Id, string Policy)?> FindLiveAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string Policy)>(new CommandDefinition("""
            SELECT id, policy FROM initial_access_token
            WHERE token_hash = @hash AND revoked_at IS NULL AND expires_at > now() AND (max_uses IS NULL OR uses < max_uses)
            """, new { hash = Hash(token) }, cancellationToken: cancellationToken));
        return row.Id is null ? null : row;
    }

    /// <summary>Spends one use in the registration's transaction; false when another registration spent the last one meanwhile.</summary>
    public static async Task<bool> SpendAsync(NpgsqlTransaction tx, string id, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            UPDATE initial_access_token SET uses = uses + 1
            WHERE id = @id AND revoked_at IS NULL AND expires_at > now() AND (max_uses IS NULL OR uses < max_uses)
            """, new { id }, tx, cancellationToken: cancellationToken)) == 1;
}
