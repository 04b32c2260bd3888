using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace OAuthAspire.FederationTrust.SignIn;

/// <summary>A sign-in begun at a provider, as remembered until its answer.</summary>
public sealed record BrokerAttempt
{
    public Guid TrustId { get; init; }
    public byte[] BrowserBinding { get; init; } = [];
    public string PendingRequest { get; init; } = "";
    public string? ClientId { get; init; }
    public string Nonce { get; init; } = "";
    public string CodeVerifier { get; init; } = "";
    public string RedirectUri { get; init; } = "";
    public int? MaxAge { get; init; }
    public DateTime ExpiresAt { get; init; }
}

/// <summary>
/// Sign-ins begun at providers, by the SHA-256 of their <c>state</c> (the state itself is only in
/// the browser's round trip): any replica can take the answer, and only once.
/// </summary>
public sealed class BrokerAttempts(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public async Task AddAsync(string state, BrokerAttempt attempt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO broker_attempt (state_hash, trust_id, browser_binding, pending_request, client_id, nonce, code_verifier, redirect_uri, max_age, expires_at)
            VALUES (@StateHash, @TrustId, @BrowserBinding, @PendingRequest, @ClientId, @Nonce, @CodeVerifier, @RedirectUri, @MaxAge, @ExpiresAt)
            """, new
        {
            StateHash = Hash(state), attempt.TrustId, attempt.BrowserBinding, attempt.PendingRequest, attempt.ClientId, attempt.Nonce, attempt.CodeVerifier,
            attempt.RedirectUri, attempt.MaxAge, attempt.ExpiresAt,
        }, cancellationToken: cancellationToken));
    }

    /// <summary>Spends the attempt its state names, for the browser that began it: null when unknown, spent before, expired or another browser's.</summary>
    public async Task<BrokerAttempt?> TakeAsync(string state, byte[] browserBinding, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<BrokerAttempt>(new CommandDefinition("""
            DELETE FROM broker_attempt WHERE state_hash = @hash AND browser_binding = @browserBinding AND expires_at > now()
            RETURNING trust_id, browser_binding, pending_request, client_id, nonce, code_verifier, redirect_uri, max_age, expires_at
            """, new { hash = Hash(state), browserBinding }, cancellationToken: cancellationToken));
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM broker_attempt WHERE expires_at <= now()", cancellationToken: cancellationToken));
    }

    private static byte[] Hash(string state) => SHA256.HashData(Encoding.UTF8.GetBytes(state));
}
