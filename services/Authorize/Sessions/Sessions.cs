using System.Security.Cryptography;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OAuthAspire.Protocol;

namespace OAuthAspire.Authorize.Sessions;

public sealed record LoginSession
{
    public required byte[] IdHash { get; init; }
    public required string Sid { get; init; }
    public required string UserSysId { get; init; }
    public DateTime AuthTime { get; init; }
    public string[] Amr { get; init; } = [];
    public DateTime ExpiresAt { get; init; }
}

public sealed class LoginSessionOptions
{
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// Sign-in sessions. The cookie holds a random 256-bit value (HttpOnly, SameSite=Lax, Secure
/// unless the issuer is plain-http loopback development); the database only its SHA-256.
/// </summary>
public sealed class Sessions(NpgsqlDataSource dataSource, Issuer issuer, Microsoft.Extensions.Options.IOptions<LoginSessionOptions> options, TimeProvider time)
{
    public const string CookieName = "oauthaspire_session";

    public async Task<LoginSession?> CurrentAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // A session started by this very request (its cookie is only on the response yet).
        if (context.Items.TryGetValue(typeof(LoginSession), out var started))
        {
            return (LoginSession)started!;
        }

        var cookie = context.Request.Cookies[CookieName];
        if (string.IsNullOrEmpty(cookie) || cookie.Length > 100)
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<LoginSession>(new CommandDefinition("""
            SELECT id_hash, sid, user_sys_id, auth_time, amr, expires_at FROM login_session
            WHERE id_hash = @hash AND ended_at IS NULL AND expires_at > now()
            """, new { hash = Hash(cookie) }, cancellationToken: cancellationToken));
    }

    /// <summary>Starts a new session (never reusing a previous cookie value) and sets the cookie.</summary>
    /// <param name="authenticatedAt">When the user authenticated, if earlier than now (at a trusted provider); never later than now.</param>
    public async Task<LoginSession> StartAsync(HttpContext context, string userSysId, string[] amr, CancellationToken cancellationToken,
        DateTimeOffset? authenticatedAt = null)
    {
        var value = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var session = new LoginSession
        {
            IdHash = Hash(value),
            Sid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            UserSysId = userSysId,
            AuthTime = DateTimeOffset.FromUnixTimeSeconds(Math.Min(now.ToUnixTimeSeconds(), authenticatedAt?.ToUnixTimeSeconds() ?? long.MaxValue)).UtcDateTime,
            Amr = amr,
            ExpiresAt = (now + options.Value.Lifetime).UtcDateTime,
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO login_session (id_hash, sid, user_sys_id, auth_time, amr, expires_at)
            VALUES (@IdHash, @Sid, @UserSysId, @AuthTime, @Amr, @ExpiresAt)
            """, session, cancellationToken: cancellationToken));
        context.Response.Cookies.Append(CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = issuer.Value.StartsWith("https://", StringComparison.Ordinal),
            Path = "/",
            Expires = now + options.Value.Lifetime,
            IsEssential = true,
        });
        context.Items[typeof(LoginSession)] = session;
        return session;
    }

    public async Task EndAsync(HttpContext context, LoginSession session, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE login_session SET ended_at = now() WHERE id_hash = @IdHash",
            session, cancellationToken: cancellationToken));
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });
    }

    /// <summary>
    /// Ends every live session of a user in the caller's transaction (their password changed: a
    /// browser signed in with the old one, maybe a thief's, must sign in again). Returns their sids.
    /// </summary>
    public static async Task<IReadOnlyList<string>> EndAllOfUserAsync(NpgsqlTransaction tx, string userSysId, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition("""
            UPDATE login_session SET ended_at = now()
            WHERE user_sys_id = @userSysId AND ended_at IS NULL AND expires_at > now()
            RETURNING sid
            """, new { userSysId }, tx, cancellationToken: cancellationToken))).AsList();

    private static byte[] Hash(string value) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(value));
}
