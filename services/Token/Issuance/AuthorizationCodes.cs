using OAuthAspire.ServiceDefaults.Data;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Par;

namespace OAuthAspire.Token.Issuance;

public sealed record AuthorizationCodeRow
{
    public required byte[] CodeHash { get; init; }
    public required string ClientId { get; init; }
    public required string UserSysId { get; init; }
    public required string RedirectUri { get; init; }
    public bool RedirectUriSent { get; init; }
    public string[] Scopes { get; init; } = [];
    public string? CodeChallenge { get; init; }
    public string? CodeChallengeMethod { get; init; }
    public string? SessionId { get; init; }
    public DateTime? AuthTime { get; init; }
    public string[] Amr { get; init; } = [];
    public string? Nonce { get; init; }
    public string? Acr { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? RedeemedAt { get; init; }

    /// <summary>The DPoP key the code must be redeemed with (RFC 9449 §10); null when not pinned.</summary>
    public string? DpopJkt { get; init; }

    /// <summary>RFC 8707: the APIs the grant is for; empty for the default audience only.</summary>
    public string[] Resources { get; init; } = [];
}

/// <summary>Authorization codes: random, stored hashed, 60 seconds, single use (RFC 6749 §4.1.2, RFC 9700 §4.5).</summary>
public sealed class AuthorizationCodes(NpgsqlDataSource dataSource, IAuditSink audit, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    public static byte[] Hash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));

    /// <summary>A short public handle for a code in the audit trail (a prefix of its hash).</summary>
    public static string Id(byte[] hash) => Convert.ToHexStringLower(hash.AsSpan(0, 8));

    /// <returns>The code; null when the pushed request it answers is spent or expired (RFC 9126 §4: one code per push).</returns>
    public async Task<string?> CreateAsync(CreateAuthorizationCodeRequest request, CancellationToken cancellationToken)
    {
        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var hash = Hash(code);
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (request.PushedRequestUri.Length > 0 && !await PushedRequests.SpendAsync(tx, request.PushedRequestUri, request.ClientId, now, cancellationToken))
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO authorization_code (code_hash, client_id, user_sys_id, redirect_uri, redirect_uri_sent, scopes, code_challenge,
                code_challenge_method, session_id, auth_time, amr, nonce, acr, expires_at, dpop_jkt, resources)
            VALUES (@hash, @ClientId, @UserSysId, @RedirectUri, @RedirectUriSent, @scopes, @challenge, @method, @session, @authTime, @amr,
                @nonce, @acr, @expiresAt, @dpopJkt, @resources)
            """, new
        {
            hash, request.ClientId, request.UserSysId, request.RedirectUri, request.RedirectUriSent, scopes = request.Scopes.ToArray(),
            challenge = NullIfEmpty(request.CodeChallenge), method = NullIfEmpty(request.CodeChallengeMethod), session = NullIfEmpty(request.SessionId),
            authTime = request.AuthTime == 0 ? (DateTime?)null : DateTimeOffset.FromUnixTimeSeconds(request.AuthTime).UtcDateTime,
            amr = request.Amr.ToArray(), nonce = NullIfEmpty(request.Nonce), acr = NullIfEmpty(request.Acr), expiresAt = (now + Lifetime).UtcDateTime,
            dpopJkt = NullIfEmpty(request.DpopJkt), resources = request.Resources.ToArray(),
        }, tx, cancellationToken: cancellationToken));
        await audit.WriteAsync(tx, new CodeIssued(request.ClientId, request.UserSysId, request.Scopes.ToArray(), Id(hash))
        {
            Actor = new AuditActor(request.UserSysId, NullIfEmpty(request.UserName), request.ClientId),
            RemoteAddress = NullIfEmpty(request.RemoteAddress),
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return code;
    }

    private const string Select = """
        SELECT code_hash, client_id, user_sys_id, redirect_uri, redirect_uri_sent, scopes, code_challenge, code_challenge_method,
               session_id, auth_time, amr, nonce, acr, expires_at, redeemed_at, dpop_jkt, resources
        FROM authorization_code WHERE code_hash = @hash
        """;

    /// <summary>Locks the code's row for the caller's transaction: concurrent redemptions queue behind it.</summary>
    public static Task<AuthorizationCodeRow?> LockAsync(NpgsqlTransaction tx, byte[] hash, CancellationToken cancellationToken) =>
        tx.Connection!.QuerySingleOrDefaultAsync<AuthorizationCodeRow>(new CommandDefinition(Select + " FOR UPDATE", new { hash }, tx,
            cancellationToken: cancellationToken));

    /// <summary>Reads the code without a lock: the group commit spends it only if it is still unspent then (<see cref="GrantChange.RedeemsCode"/>).</summary>
    public static async Task<AuthorizationCodeRow?> FindAsync(NpgsqlDataSource dataSource, byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AuthorizationCodeRow>(new CommandDefinition(Select, new { hash }, cancellationToken: cancellationToken));
    }

    public static Task MarkRedeemedAsync(NpgsqlTransaction tx, byte[] hash, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE authorization_code SET redeemed_at = now() WHERE code_hash = @hash",
            new { hash }, tx, cancellationToken: cancellationToken));

    /// <summary>Revokes every still-valid token issued from this code (or device code); returns their ids.</summary>
    public async Task<IReadOnlyList<string>> RevokeIssuedFromAsync(NpgsqlTransaction tx, byte[] codeHash, string clientId, string userSysId, string reason,
        string? remoteAddress, CancellationToken cancellationToken)
    {
        var revoked = (await tx.Connection!.QueryAsync<(string Jti, DateTime ExpiresAt)>(new CommandDefinition("""
            INSERT INTO revoked_token (jti, client_id, expires_at)
            SELECT jti, client_id, expires_at FROM issued_token WHERE code_hash = @codeHash AND expires_at > now()
            ON CONFLICT (jti) DO NOTHING
            RETURNING jti, expires_at
            """, new { codeHash }, tx, cancellationToken: cancellationToken))).AsList();
        foreach (var (jti, expiresAt) in revoked)
        {
            await audit.WriteAsync(tx, new TokenRevoked(jti, clientId, "access_token", new DateTimeOffset(DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc)))
            {
                Actor = new AuditActor(userSysId, null, clientId),
                Reason = reason,
                RemoteAddress = remoteAddress,
            }, cancellationToken);
        }

        return revoked.Select(r => r.Jti).ToArray();
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        // Kept a day after expiry so a late replay is still recognised and revokes what it must.
        return await BatchedPurge.DeleteAsync(dataSource, "authorization_code", "expires_at < now() - interval '1 day'", cancellationToken);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
