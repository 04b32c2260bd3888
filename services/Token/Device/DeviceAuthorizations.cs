using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Security;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Token.Device;

/// <summary>A device request as the token endpoint reads it when the device polls.</summary>
public sealed record DeviceAuthorizationRow
{
    public required byte[] DeviceCodeHash { get; init; }
    public required string ClientId { get; init; }
    public string[] Scopes { get; init; } = [];
    public string[] Resources { get; init; } = [];
    public required string Status { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? LastPolledAt { get; init; }
    public int PollInterval { get; init; }
    public bool SlowedDown { get; init; }
    public bool ExpiryAudited { get; init; }
    public string? UserSysId { get; init; }
    public string? SessionId { get; init; }
    public DateTime? AuthTime { get; init; }
    public string[] Amr { get; init; } = [];

    /// <summary>The database's clock when the row was read: every replica measures the interval alike.</summary>
    public DateTime DbNow { get; init; }

    public DevicePollState PollState => new(ClientId, Enum.Parse<DeviceStatus>(Status, ignoreCase: true), ExpiresAt, LastPolledAt, PollInterval);
}

/// <summary>A live, unanswered device request found by its user code, for the verification page.</summary>
public sealed record FoundDeviceAuthorization(string DeviceId, string ClientId, string[] Scopes, string[] Resources, DateTime CreatedAt, DateTime ExpiresAt,
    string? DeviceAddress);

/// <summary>What the device authorization endpoint hands out (RFC 8628 §3.2).</summary>
public sealed record IssuedDeviceCodes(string DeviceCode, string UserCode, int ExpiresIn, int Interval);

/// <summary><c>Device:*</c> settings.</summary>
/// <param name="MaxLiveCodes">Unanswered requests at once, over all clients: past it, new ones are 503 (user codes stay sparse, so guesses stay futile).</param>
/// <param name="MaxLiveCodesPerClient">Unanswered requests of one client: anyone may ask in a public client's name, and may fill only its share.</param>
/// <param name="MaxLiveCodesPerAddress">Unanswered requests of one client from one address (IPv6: one /64), so one caller cannot fill the client's share.</param>
public sealed record DeviceSettings(TimeSpan Lifetime, int Interval, int MaxLiveCodes, int MaxLiveCodesPerClient, int MaxLiveCodesPerAddress)
{
    public static DeviceSettings From(IConfiguration configuration) => new(
        configuration.GetValue("Device:Lifetime", TimeSpan.FromMinutes(10)),
        Math.Clamp(configuration.GetValue("Device:Interval", 5), 1, DevicePolling.MaxInterval),
        Math.Max(1, configuration.GetValue("Device:MaxLiveCodes", 100_000)),
        Math.Max(1, configuration.GetValue("Device:MaxLiveCodesPerClient", 1_000)),
        Math.Max(1, configuration.GetValue("Device:MaxLiveCodesPerAddress", 20)));
}

/// <summary>
/// Device authorization requests (RFC 8628): the device code stored as SHA-256, the user code as an
/// HMAC under the key-encryption key (it has only about 34.5 bits), both unique among live requests.
/// </summary>
public sealed class DeviceAuthorizations(NpgsqlDataSource dataSource, IAuditSink audit, DeviceSettings settings, IConfiguration configuration)
{
    public const string UserCodePurpose = "oauthaspire/device-user-code/v1";

    private readonly KeyedHash _userCodes = new(configuration["Keys:EncryptionKey"], UserCodePurpose);

    public DeviceSettings Settings => settings;

    public static byte[] Hash(string deviceCode) => SHA256.HashData(Encoding.UTF8.GetBytes(deviceCode));

    /// <summary>A short public handle for a device code in the audit trail and between services (a prefix of its hash).</summary>
    public static string Id(byte[] hash) => Convert.ToHexStringLower(hash.AsSpan(0, 16));

    /// <returns>The codes; null when too many requests of this client (<see cref="DeviceSettings.MaxLiveCodesPerClient"/>) or of
    /// all clients (<see cref="DeviceSettings.MaxLiveCodes"/>) are waiting.</returns>
    public async Task<IssuedDeviceCodes?> StartAsync(string clientId, IReadOnlyList<string> scopes, IReadOnlyList<string> resources, string? deviceAddress,
        CancellationToken cancellationToken)
    {
        var addressKey = deviceAddress is null ? "" : AddressKeys.Of(deviceAddress);
        // A clash of user codes (about one in 2.5e10 per live pair) draws again.
        for (var attempt = 0; ; attempt++)
        {
            var deviceCode = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
            var userCode = UserCodes.New();
            var hash = Hash(deviceCode);
            try
            {
                var started = await dataSource.InTransactionAsync(async tx =>
                {
                    // One client's requests are counted and added one at a time, whichever replica serves them.
                    await tx.Connection!.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext('device_authorization:' || @clientId))",
                        new { clientId }, tx, cancellationToken: cancellationToken));
                    var (mine, fromThere, all) = await tx.Connection!.QuerySingleAsync<(long, long, long)>(new CommandDefinition("""
                        SELECT count(*) FILTER (WHERE client_id = @clientId), count(*) FILTER (WHERE client_id = @clientId AND address_key = @addressKey), count(*)
                        FROM device_authorization WHERE status = 'pending' AND expires_at > now();
                        """, new { clientId, addressKey }, tx, cancellationToken: cancellationToken));
                    if (mine >= settings.MaxLiveCodesPerClient || fromThere >= settings.MaxLiveCodesPerAddress || all >= settings.MaxLiveCodes)
                    {
                        return false;
                    }

                    var expiresAt = await tx.Connection!.ExecuteScalarAsync<DateTime>(new CommandDefinition("""
                        INSERT INTO device_authorization (device_code_hash, user_code_hash, client_id, scopes, resources, device_address, address_key, expires_at,
                            poll_interval)
                        VALUES (@hash, @userCodeHash, @clientId, @scopes, @resources, @deviceAddress, @addressKey, now() + @lifetime, @interval)
                        RETURNING expires_at
                        """, new
                    {
                        hash, userCodeHash = _userCodes.Of(userCode), clientId, scopes = scopes.ToArray(), resources = resources.ToArray(), deviceAddress, addressKey,
                        lifetime = settings.Lifetime, interval = settings.Interval,
                    }, tx, cancellationToken: cancellationToken));
                    await audit.WriteAsync(tx, new DeviceAuthorizationStarted(clientId, scopes, Id(hash), new DateTimeOffset(DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc)))
                    {
                        Actor = AuditActor.Client(clientId),
                        RemoteAddress = deviceAddress,
                    }, cancellationToken);
                    return true;
                }, commit: started => started, cancellationToken);
                return started ? new IssuedDeviceCodes(deviceCode, userCode, (int)settings.Lifetime.TotalSeconds, settings.Interval) : null;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
            }
        }
    }

    /// <summary>A live, unanswered request by its (canonical) user code.</summary>
    public async Task<FoundDeviceAuthorization?> FindAsync(string userCode, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(byte[] Hash, string ClientId, string[] Scopes, string[] Resources, DateTime CreatedAt, DateTime ExpiresAt,
            string? DeviceAddress)>(new CommandDefinition("""
            SELECT device_code_hash, client_id, scopes, resources, created_at, expires_at, device_address FROM device_authorization
            WHERE user_code_hash = @hash AND status = 'pending' AND expires_at > now()
            """, new { hash = _userCodes.Of(userCode) }, cancellationToken: cancellationToken));
        return row.Hash is null ? null : new FoundDeviceAuthorization(Id(row.Hash), row.ClientId, row.Scopes, row.Resources, row.CreatedAt, row.ExpiresAt, row.DeviceAddress);
    }

    /// <summary>The user's answer, written with its audit event; false when the request expired or was answered meanwhile.</summary>
    public async Task<bool> DecideAsync(string deviceId, string userCode, bool approve, string userSysId, string? userName, string? sessionId, DateTime? authTime,
        string[] amr, string? remoteAddress, CancellationToken cancellationToken)
    {
        return await dataSource.InTransactionAsync(async tx =>
        {
            var decided = await tx.Connection!.QuerySingleOrDefaultAsync<(byte[] Hash, string ClientId, string[] Scopes)>(new CommandDefinition("""
                UPDATE device_authorization SET status = @status, user_sys_id = @userSysId, session_id = @sessionId, auth_time = @authTime, amr = @amr, decided_at = now()
                WHERE user_code_hash = @userCodeHash AND status = 'pending' AND expires_at > now()
                RETURNING device_code_hash, client_id, scopes
                """, new
            {
                status = approve ? "approved" : "denied", userSysId, sessionId, authTime, amr, userCodeHash = _userCodes.Of(userCode),
            }, tx, cancellationToken: cancellationToken));
            if (decided.Hash is null || Id(decided.Hash) != deviceId)
            {
                // Nothing answered, or (never with our page) a code naming another request than the one shown: not committed.
                return false;
            }

            var actor = new AuditActor(userSysId, userName, decided.ClientId);
            AuditEvent decision = approve
                ? new DeviceAuthorizationApproved(decided.ClientId, userSysId, deviceId, decided.Scopes)
                : new DeviceAuthorizationDenied(decided.ClientId, userSysId, deviceId);
            await audit.WriteAsync(tx, decision with { Actor = actor, RemoteAddress = remoteAddress, Outcome = approve ? AuditOutcome.Success : AuditOutcome.Failure },
                cancellationToken);
            return true;
        }, commit: decided => decided, cancellationToken);
    }

    /// <summary>Locks the request for a poll: polls of one device code queue behind each other, whichever replica serves them.</summary>
    public static Task<DeviceAuthorizationRow?> LockAsync(NpgsqlTransaction tx, byte[] hash, CancellationToken cancellationToken) =>
        tx.Connection!.QuerySingleOrDefaultAsync<DeviceAuthorizationRow>(new CommandDefinition("""
            SELECT device_code_hash, client_id, scopes, resources, status, expires_at, last_polled_at, poll_interval, slowed_down, expiry_audited,
                   user_sys_id, session_id, auth_time, amr, now() AS db_now
            FROM device_authorization WHERE device_code_hash = @hash FOR UPDATE
            """, new { hash }, tx, cancellationToken: cancellationToken));

    /// <summary>Records a poll: when it came, the interval from now on, and which one-time audit events were written.</summary>
    public static Task RecordPollAsync(NpgsqlTransaction tx, byte[] hash, int interval, bool slowedDown, bool expiryAudited, string? status,
        CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("""
            UPDATE device_authorization SET last_polled_at = now(), poll_interval = @interval, slowed_down = @slowedDown, expiry_audited = @expiryAudited,
                status = coalesce(@status, status)
            WHERE device_code_hash = @hash
            """, new { hash, interval, slowedDown, expiryAudited, status }, tx, cancellationToken: cancellationToken));

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Kept a day after expiry so a late replay of a redeemed device code still revokes what it issued.
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM device_authorization WHERE expires_at < now() - interval '1 day'",
            cancellationToken: cancellationToken));
    }
}
