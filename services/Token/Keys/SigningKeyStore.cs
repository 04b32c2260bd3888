using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Token.Keys;

public sealed record SigningKeyRow
{
    public required string Kid { get; init; }
    public required string Alg { get; init; }
    public required byte[] PrivateKey { get; init; }
    public required string PublicJwk { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ActivatesAt { get; init; }
    public DateTime? RetiresAt { get; init; }
    public DateTime? ExpiresAt { get; init; }
}

public sealed class KeyOptions
{
    /// <summary>
    /// The algorithm of access tokens whose client asked for none: RS256 (default), PS256 or ES256.
    /// Keys of every algorithm in <see cref="SigningAlgorithms.Supported"/> are kept in service and rotated.
    /// </summary>
    public string Algorithm { get; set; } = SecurityAlgorithms.RsaSha256;

    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a scheduled key is published before it signs: longer than relying parties cache a
    /// JWKS (JwtBearer refetches every 12 h), so none ever meets a token signed by a key it lacks.
    /// </summary>
    public TimeSpan PublishLead { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// The same for a rotation an administrator asks for (overridable per request down to 0 when a
    /// key is compromised): longer than the 5 minutes JwtBearer waits between refetches on an unknown key.
    /// </summary>
    public TimeSpan OnDemandPublishLead { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a retired key stays published: the longest access token lifespan, plus skew.</summary>
    public TimeSpan RetiredKeyRetention { get; set; } = TimeSpan.FromSeconds(86_400 + 300);
}

/// <summary>Creates, rotates and loads signing keys; rotation is serialized across replicas by an advisory lock.</summary>
public sealed class SigningKeyStore(NpgsqlDataSource dataSource, KeyEncryption encryption, IAuditSink audit)
{
    private const long RotationLockId = 0x0A0A_5EED_1001;

    public async Task<IReadOnlyList<SigningKeyRow>> LoadPublishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(
            "SELECT kid, alg, private_key, public_jwk::text AS public_jwk, created_at, activates_at, retires_at, expires_at FROM signing_key WHERE expires_at IS NULL OR expires_at > now() ORDER BY activates_at",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Creates a first key of each algorithm, active at once, where none of it is in service.</summary>
    public Task EnsureKeysAsync(CancellationToken cancellationToken) =>
        WithLockAsync(async tx =>
        {
            foreach (var algorithm in SigningAlgorithms.Supported)
            {
                var inService = await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT count(*) FROM signing_key WHERE alg = @algorithm AND retires_at IS NULL", new { algorithm }, tx,
                    cancellationToken: cancellationToken));
                if (inService == 0)
                {
                    await CreateAsync(tx, algorithm, TimeSpan.Zero, TimeSpan.Zero, "first key", cancellationToken);
                }
            }

            return true;
        }, cancellationToken);

    /// <summary>Publishes a new key that signs after <paramref name="lead"/>; the current one of its algorithm retires then.</summary>
    public Task<SigningKeyRow> RotateAsync(string algorithm, TimeSpan lead, TimeSpan retention, string reason, CancellationToken cancellationToken) =>
        WithLockAsync(tx => CreateAsync(tx, algorithm, lead, retention, reason, cancellationToken), cancellationToken);

    /// <summary>Rotates each algorithm whose newest key is older than the interval and none is waiting to activate.</summary>
    public Task RotateIfDueAsync(KeyOptions options, CancellationToken cancellationToken) =>
        WithLockAsync(async tx =>
        {
            foreach (var algorithm in SigningAlgorithms.Supported)
            {
                // The successor is published a lead ahead of the interval's end, so it signs right on time.
                var newest = await tx.Connection!.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
                    "SELECT max(activates_at) FROM signing_key WHERE alg = @algorithm AND retires_at IS NULL", new { algorithm }, tx,
                    cancellationToken: cancellationToken));
                if (newest is { } activated && activated < DateTime.UtcNow - options.RotationInterval + options.PublishLead)
                {
                    await CreateAsync(tx, algorithm, options.PublishLead, options.RetiredKeyRetention, "scheduled rotation", cancellationToken);
                }
            }

            return true;
        }, cancellationToken);

    /// <summary>
    /// Withdraws a key at once: unpublished now (so nothing it signed validates any more), and when
    /// it was in service a successor signs from this moment. Null when no such published key exists.
    /// </summary>
    public Task<SigningKeyRevoked?> RevokeAsync(string kid, TimeSpan retention, AuditActor actor, CancellationToken cancellationToken) =>
        WithLockAsync<SigningKeyRevoked?>(async tx =>
        {
            // When it was to retire: its successor's activation, or never (read before the revocation ends it now).
            var scheduledRetirement = await tx.Connection!.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
                "SELECT retires_at FROM signing_key WHERE kid = @kid", new { kid }, tx, cancellationToken: cancellationToken));
            var key = await tx.Connection!.QuerySingleOrDefaultAsync<SigningKeyRow>(new CommandDefinition("""
                UPDATE signing_key SET retires_at = LEAST(COALESCE(retires_at, now()), now()), expires_at = now()
                WHERE kid = @kid AND (expires_at IS NULL OR expires_at > now())
                RETURNING kid, alg, private_key, public_jwk::text AS public_jwk, created_at, activates_at, retires_at, expires_at
                """, new { kid }, tx, cancellationToken: cancellationToken));
            if (key is null)
            {
                return null;
            }

            // A successor revoked before it signed: the key it was to replace (retiring at its activation)
            // takes over its place in the line, retiring when it would have (at the next successor's
            // activation, or not at all), so no key has to sign at once unannounced.
            if (key.ActivatesAt > DateTime.UtcNow)
            {
                await tx.Connection!.ExecuteAsync(new CommandDefinition("""
                    UPDATE signing_key SET retires_at = @scheduledRetirement, expires_at = @expiresAt
                    WHERE alg = @Alg AND kid <> @Kid AND retires_at = @ActivatesAt
                    """, new { key.Alg, key.Kid, key.ActivatesAt, scheduledRetirement, expiresAt = scheduledRetirement + retention }, tx,
                    cancellationToken: cancellationToken));
            }

            // No key of its algorithm signs now (it was the signing key; a successor published ahead
            // does not sign yet): a replacement signs from this moment.
            var inService = await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM signing_key WHERE alg = @Alg AND activates_at <= now() AND (retires_at IS NULL OR retires_at > now())",
                key, tx, cancellationToken: cancellationToken));
            var replacement = inService == 0 ? await CreateAsync(tx, key.Alg, TimeSpan.Zero, retention, $"replaces revoked key {kid}", cancellationToken) : null;
            var revoked = new SigningKeyRevoked(kid, key.Alg, replacement?.Kid)
            {
                Actor = actor,
                Reason = "revoked by an administrator",
            };
            await audit.WriteAsync(tx, revoked, cancellationToken);
            return revoked;
        }, cancellationToken);

    public async Task DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM signing_key WHERE expires_at < now() - interval '1 day'",
            cancellationToken: cancellationToken));
    }

    private async Task<SigningKeyRow> CreateAsync(NpgsqlTransaction tx, string algorithm, TimeSpan lead, TimeSpan retention, string reason,
        CancellationToken cancellationToken)
    {
        var kid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));
        var (privateKey, publicJwk) = Generate(algorithm, kid);
        var now = DateTime.UtcNow;
        // Whole seconds: a token is signed by the key active at its iat (whole seconds), so a key
        // activating "now" must already sign tokens issued in this second.
        var activatesAt = now + lead;
        activatesAt = new DateTime(activatesAt.Ticks - activatesAt.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var previous = await tx.Connection!.QueryAsync<string>(new CommandDefinition("""
            UPDATE signing_key SET retires_at = @activatesAt, expires_at = @expiresAt
            WHERE retires_at IS NULL AND alg = @algorithm RETURNING kid
            """, new { activatesAt, expiresAt = activatesAt + retention, algorithm }, tx, cancellationToken: cancellationToken));
        var row = new SigningKeyRow { Kid = kid, Alg = algorithm, PrivateKey = encryption.Encrypt(privateKey, kid), PublicJwk = publicJwk, CreatedAt = now, ActivatesAt = activatesAt };
        await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO signing_key (kid, alg, private_key, public_jwk, created_at, activates_at)
            VALUES (@Kid, @Alg, @PrivateKey, @PublicJwk::jsonb, @CreatedAt, @ActivatesAt)
            """, row, tx, cancellationToken: cancellationToken));
        await audit.WriteAsync(tx, new SigningKeyRotated(kid, algorithm, activatesAt, previous.FirstOrDefault()) { Reason = reason }, cancellationToken);
        return row;
    }

    private async Task<T> WithLockAsync<T>(Func<NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_advisory_xact_lock({RotationLockId})", transaction: tx,
            cancellationToken: cancellationToken));
        var result = await work(tx);
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>A new key pair: PKCS#8 private key bytes and the public JWK.</summary>
    public static (byte[] PrivateKey, string PublicJwk) Generate(string algorithm, string kid)
    {
        if (algorithm == SecurityAlgorithms.EcdsaSha256)
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var p = ec.ExportParameters(false);
            return (ec.ExportPkcs8PrivateKey(), JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["kty"] = "EC", ["use"] = "sig", ["alg"] = algorithm, ["kid"] = kid, ["crv"] = "P-256",
                ["x"] = Base64UrlEncoder.Encode(p.Q.X!), ["y"] = Base64UrlEncoder.Encode(p.Q.Y!),
            }));
        }

        using var rsa = RSA.Create(2048);
        var rp = rsa.ExportParameters(false);
        return (rsa.ExportPkcs8PrivateKey(), JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["use"] = "sig", ["alg"] = algorithm, ["kid"] = kid,
            ["n"] = Base64UrlEncoder.Encode(rp.Modulus!), ["e"] = Base64UrlEncoder.Encode(rp.Exponent!),
        }));
    }
}
