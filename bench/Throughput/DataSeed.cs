using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using NpgsqlTypes;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// Fills a fresh system's databases with a large customer's volume, or a fraction of it (issue 25:
/// cost as the data grows), by binary COPY straight into each service's tables, as its own database
/// role. The rows are those the services themselves write, so a seeded client authenticates, a seeded
/// user signs in and a seeded refresh token refreshes. Everything is derived from row indexes (no
/// randomness between runs), ids are seed-prefixed, and no audit event is written: seed once per fresh
/// system, at the fraction wanted.
/// <para>
/// Nothing is announced to the services, so their caches catch up on their own: the edge's API policy
/// set and CORS origins and the token service's scopes and APIs within a minute
/// (<c>CachedLookup.DefaultLifetime</c>); the edge's revocation list only at its next start (a snapshot,
/// then events). Wait a minute and restart the edge before measuring, or restart every service.
/// </para>
/// </summary>
public static class DataSeed
{
    public sealed record Counts(int Clients, int Users, int Policies, int Rules, int TokenRecords, int RefreshFamilies, int Revocations);

    /// <summary>Every seeded user's password.</summary>
    public const string UserPassword = "seed-Password-1";

    private const int RulesPerPolicy = 10;

    // A generated secret is 43 characters (base64url of 256 bits); a seeded one is as long.
    private const string SecretPadding = "0123456789abcdefghijklmn";

    // The default refresh_token_lifespan of a client, which the seeded ones keep: a family ends this long after its first token.
    private static readonly TimeSpan RefreshLifespan = TimeSpan.FromSeconds(8_640_000);

    private static readonly string[] NoValues = [];
    private static readonly string[] DefaultScopes = [ApiPolicies.UserAccount];
    private static readonly string[] SignInScopes = ["openid", "profile", ApiPolicies.UserAccount];
    private static readonly string SignInScope = string.Join(' ', SignInScopes);
    private static readonly string[] PasswordAmr = ["pwd"];
    private static readonly string[] ApproverRoles = ["seed.approver"];
    private static readonly string[] ServiceGrants = [GrantTypes.ClientCredentials];
    private static readonly string[] WebGrants = [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.ClientCredentials];

    // Independent draws per row: each purpose mixes its own salt into the row's index.
    private const byte CreatedSalt = 1, ClientSalt = 2, UserSalt = 3, IssuedSalt = 4, JtiSalt = 5, CodeSalt = 6, FamilyClientSalt = 7, FamilySalt = 8,
        RevokedSalt = 9, RefreshSalt = 16;

    /// <summary>The row counts at <paramref name="fraction"/> (0.1, 1.0) of the customer's volume.</summary>
    public static Counts For(double fraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1.0);
        int Scaled(int full) => Math.Max(1, (int)Math.Round(full * fraction));
        var policies = Scaled(1_000);
        return new Counts(Scaled(100_000), Scaled(100_000), policies, policies * RulesPerPolicy, Scaled(1_000_000), Scaled(100_000), Scaled(10_000));
    }

    /// <summary>
    /// Seeded client <paramref name="i"/>: confidential, authenticating with <see cref="SecretOf"/>
    /// (client_secret_basic or client_secret_post), allowed client_credentials with no application user
    /// (its tokens' subject is the client id); scopes openid, profile, useraccount (its default) and the
    /// two of API <c>i % Policies</c> (<see cref="ReadScopeOf"/>, <see cref="WriteScopeOf"/>). Every
    /// third one (<c>i % 3 == 0</c>) is a web application besides: authorization_code and refresh_token,
    /// redirect URI <c>https://seed-app{i:D6}.example.test/callback</c>.
    /// </summary>
    public static string ClientIdOf(int i) => $"seed-client-{i:D6}";

    /// <summary>Client <paramref name="i"/>'s secret: <c>seed-secret-{i:D6}-0123456789abcdefghijklmn</c>, stored as its SHA-256 like any.</summary>
    public static string SecretOf(int i) => $"seed-secret-{i:D6}-{SecretPadding}";

    /// <summary>Seeded user <paramref name="i"/> (password <see cref="UserPassword"/>, email <c>{user name}@seed.example.test</c>).</summary>
    public static string UserNameOf(int i) => $"seed.user{i:D6}";

    /// <summary>API policy <paramref name="policy"/>'s base path (name <c>seed-api-{policy:D4}</c>).</summary>
    public static string BasePathOf(int policy) => $"/api/seed{policy}/v1";

    public static string ReadScopeOf(int policy) => $"seed.scope{2 * policy}";

    public static string WriteScopeOf(int policy) => $"seed.scope{2 * policy + 1}";

    /// <summary>
    /// The current refresh token of seeded family <paramref name="family"/>, which belongs to
    /// <see cref="FamilyClientIdOf"/>. Good once: a refresh rotates it (use the token it answers next).
    /// </summary>
    public static string RefreshTokenOf(int family) => RefreshToken(family, RotationsOf(family));

    /// <summary>The (web) client refresh family <paramref name="family"/> was issued to.</summary>
    public static string FamilyClientIdOf(int family, Counts counts) => ClientIdOf(3 * Pick(family, FamilyClientSalt, (counts.Clients + 2) / 3));

    /// <summary>Seeds every database in turn (two cores: one COPY at a time), then ANALYZEs what it filled.</summary>
    /// <returns>How long it all took.</returns>
    public static async Task<TimeSpan> SeedAsync(SystemFixture system, double fraction, TextWriter log)
    {
        var plan = new Plan(For(fraction), DateTime.UtcNow);
        var started = Stopwatch.GetTimestamp();
        await log.WriteLineAsync($"Seeding {fraction:0.##} of a large customer's data: {plan.Counts}");
        await InDatabaseAsync(system, "directorydb", log, ["app_user"], c => SeedUsersAsync(c, plan, log));
        await InDatabaseAsync(system, "scopepolicydb", log, ["scope", "api_policy", "client_use", "client_use_version"], c => SeedScopePolicyAsync(c, plan, log));
        await InDatabaseAsync(system, "clientregistrydb", log, ["oauth_client"], c => SeedClientsAsync(c, plan, log));
        await InDatabaseAsync(system, "tokendb", log, ["issued_token", "refresh_family", "refresh_token", "revoked_token"], c => SeedTokensAsync(c, plan, log));
        var elapsed = Stopwatch.GetElapsedTime(started);
        await log.WriteLineAsync($"Seeded in {elapsed.TotalSeconds:F0} s");
        return elapsed;
    }

    private static async Task SeedUsersAsync(NpgsqlConnection connection, Plan plan, TextWriter log)
    {
        await using (var seeded = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM app_user WHERE sys_id = $1)", connection))
        {
            seeded.Parameters.AddWithValue(UserSysIdOf(0));
            if (await seeded.ExecuteScalarAsync() is true)
            {
                throw new InvalidOperationException("This system is seeded already: seed once per fresh system.");
            }
        }

        // The directory's own hasher (ASP.NET Core Identity, PBKDF2 at 100,000 iterations) costs tens of
        // milliseconds a hash: one per user would take over an hour. One hash, salt and all, serves every user.
        var passwordHash = new PasswordHasher<string>().HashPassword("user", UserPassword);
        await CopyAsync(connection, log, "app_user", "sys_id, user_name, email, first_name, last_name, password_hash, roles, active, created_at, updated_at",
            Enumerable.Range(0, plan.Counts.Users), (copy, i) =>
            {
                var created = plan.Before(i, CreatedSalt, TimeSpan.FromDays(3 * 365));
                copy.Write(UserSysIdOf(i), NpgsqlDbType.Text);
                copy.Write(UserNameOf(i), NpgsqlDbType.Text);
                copy.Write($"{UserNameOf(i)}@seed.example.test", NpgsqlDbType.Text);
                copy.Write("Seed", NpgsqlDbType.Text);
                copy.Write($"User {i:D6}", NpgsqlDbType.Text);
                copy.Write(passwordHash, NpgsqlDbType.Text);
                copy.Write(i % 20 == 0 ? ApproverRoles : NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
                copy.Write(true, NpgsqlDbType.Boolean);
                copy.Write(created, NpgsqlDbType.TimestampTz);
                copy.Write(created, NpgsqlDbType.TimestampTz);
            });
    }

    private static async Task SeedScopePolicyAsync(NpgsqlConnection connection, Plan plan, TextWriter log)
    {
        // Policies may only link scopes that exist (PolicyAdminEndpoints), clients only claim those that do: two per API, read and write.
        await CopyAsync(connection, log, "scope", "name, description, active, created_at, updated_at",
            Enumerable.Range(0, 2 * plan.Counts.Policies), (copy, n) =>
            {
                var created = plan.Before(n / 2, CreatedSalt, TimeSpan.FromDays(3 * 365));
                copy.Write($"seed.scope{n}", NpgsqlDbType.Text);
                copy.Write($"{(n % 2 == 0 ? "Read" : "Change")} the data of seed API {n / 2}", NpgsqlDbType.Text);
                copy.Write(true, NpgsqlDbType.Boolean);
                copy.Write(created, NpgsqlDbType.TimestampTz);
                copy.Write(created, NpgsqlDbType.TimestampTz);
            });

        // resource stays null: the default identifier, {issuer}{base_path}, resolved when read. Default-audience
        // tokens are accepted, as by the policies from before resource indicators, so a plain token can call them.
        await CopyAsync(connection, log, "api_policy", "name, base_path, rules, accept_default_audience, created_at, updated_at",
            Enumerable.Range(0, plan.Counts.Policies), (copy, p) =>
            {
                var created = plan.Before(p, CreatedSalt, TimeSpan.FromDays(3 * 365));
                copy.Write($"seed-api-{p:D4}", NpgsqlDbType.Text);
                copy.Write(BasePathOf(p), NpgsqlDbType.Text);
                // Serialized as PolicyStore does.
                copy.Write(JsonSerializer.Serialize(RulesOf(p), JsonSerializerOptions.Web), NpgsqlDbType.Jsonb);
                copy.Write(true, NpgsqlDbType.Boolean);
                copy.Write(created, NpgsqlDbType.TimestampTz);
                copy.Write(created, NpgsqlDbType.TimestampTz);
            });

        // Scope-policy's view of which client uses which scope, as a client's save claims them (version 1) and its
        // ClientCreated event settles them: without it, a scope the seeded clients hold could be deleted.
        await CopyAsync(connection, log, "client_use", "client_id, name, version",
            Enumerable.Range(0, plan.Counts.Clients).SelectMany(i => plan.ScopesOf(i), (i, scope) => (Client: i, Scope: scope)), (copy, use) =>
            {
                copy.Write(ClientIdOf(use.Client), NpgsqlDbType.Text);
                copy.Write(use.Scope, NpgsqlDbType.Text);
                copy.Write(1L, NpgsqlDbType.Bigint);
            });
        await CopyAsync(connection, log, "client_use_version", "client_id, version, deleted",
            Enumerable.Range(0, plan.Counts.Clients), (copy, i) =>
            {
                copy.Write(ClientIdOf(i), NpgsqlDbType.Text);
                copy.Write(1L, NpgsqlDbType.Bigint);
                copy.Write(false, NpgsqlDbType.Boolean);
            });
    }

    /// <summary>Ten rules of one API: literal, <c>*</c> and final <c>**</c> segments, with and without methods.</summary>
    private static ApiRule[] RulesOf(int policy)
    {
        var (b, read, write) = (BasePathOf(policy), ReadScopeOf(policy), WriteScopeOf(policy));
        return
        [
            new(["GET"], $"{b}/**", [read, write]),
            new(["POST", "PUT", "PATCH", "DELETE"], $"{b}/**", [write]),
            new(["GET"], $"{b}/items", [read, write]),
            new(["GET"], $"{b}/items/*", [read, write]),
            new(["POST"], $"{b}/items", [write]),
            new(["PUT", "PATCH"], $"{b}/items/*", [write]),
            new(["DELETE"], $"{b}/items/*", [write]),
            new(["GET"], $"{b}/items/*/history/**", [read]),
            new([], $"{b}/reports/*/export", [read]),
            new(["GET", "HEAD"], $"{b}/health", [read, write]),
        ];
    }

    private static async Task SeedClientsAsync(NpgsqlConnection connection, Plan plan, TextWriter log)
    {
        // What ClientStore.InsertAsync writes for a client registered through the admin API; the nullable
        // columns left out (application user, verifier, mutual TLS, signing algorithms, profile, registration) stay null.
        const string Columns = """
            client_id, name, secret_hash, public, pkce_required, redirect_uris, post_logout_redirect_uris, grant_types, scopes, default_scopes,
            access_token_lifespan, refresh_token_lifespan, can_introspect, active, trusts, allowed_origins, version, created_at, updated_at,
            dpop_bound_access_tokens, dpop_nonce_required, tls_client_certificates, tls_client_certificate_bound_access_tokens,
            require_pushed_authorization_requests, require_signed_request_object, allowed_resources, origin, contacts, document_gone
            """;
        await CopyAsync(connection, log, "oauth_client", Columns, Enumerable.Range(0, plan.Counts.Clients), (copy, i) =>
        {
            var web = i % 3 == 0;
            var app = $"https://seed-app{i:D6}.example.test";
            var created = plan.Before(i, CreatedSalt, TimeSpan.FromDays(3 * 365));
            copy.Write(ClientIdOf(i), NpgsqlDbType.Text);
            copy.Write($"Seed application {i:D6}", NpgsqlDbType.Text);
            // ClientSecrets.Hash: SHA-256 of the secret's UTF-8.
            copy.Write(SHA256.HashData(Encoding.UTF8.GetBytes(SecretOf(i))), NpgsqlDbType.Bytea);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(web ? new[] { $"{app}/callback" } : NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(web ? WebGrants : ServiceGrants, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(plan.ScopesOf(i), NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(DefaultScopes, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(1800, NpgsqlDbType.Integer);
            copy.Write((int)RefreshLifespan.TotalSeconds, NpgsqlDbType.Integer);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(true, NpgsqlDbType.Boolean);
            copy.Write(NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            // The admin API's default: the origins of the redirect URIs.
            copy.Write(web ? new[] { app } : NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(1L, NpgsqlDbType.Bigint);
            copy.Write(created, NpgsqlDbType.TimestampTz);
            copy.Write(created, NpgsqlDbType.TimestampTz);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(false, NpgsqlDbType.Boolean);
            copy.Write(NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write("admin", NpgsqlDbType.Text);
            copy.Write(NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            copy.Write(false, NpgsqlDbType.Boolean);
        });
    }

    private static async Task SeedTokensAsync(NpgsqlConnection connection, Plan plan, TextWriter log)
    {
        var counts = plan.Counts;
        await CopyAsync(connection, log, "issued_token", "jti, client_id, subject, scope, grant_type, issued_at, expires_at, code_hash, family_id",
            Enumerable.Range(0, counts.TokenRecords), (copy, n) =>
            {
                var token = plan.TokenAt(n);
                copy.Write(token.Jti, NpgsqlDbType.Text);
                copy.Write(token.ClientId, NpgsqlDbType.Text);
                copy.Write(token.Subject, NpgsqlDbType.Text);
                copy.Write(token.Scope, NpgsqlDbType.Text);
                copy.Write(token.GrantType, NpgsqlDbType.Text);
                copy.Write(token.IssuedAt, NpgsqlDbType.TimestampTz);
                copy.Write(token.ExpiresAt, NpgsqlDbType.TimestampTz);
                if (token.CodeHash is { } codeHash)
                {
                    copy.Write(codeHash, NpgsqlDbType.Bytea);
                }
                else
                {
                    copy.WriteNull();
                }

                if (token.FamilyId is { } familyId)
                {
                    copy.Write(familyId, NpgsqlDbType.Uuid);
                }
                else
                {
                    copy.WriteNull();
                }
            });

        // Live families of users who signed in to web clients (no session: refresh does not need one).
        await CopyAsync(connection, log, "refresh_family",
            "family_id, client_id, user_sys_id, scopes, grant_type, auth_time, amr, created_at, expires_at, resources",
            Enumerable.Range(0, counts.RefreshFamilies), (copy, f) =>
            {
                var created = plan.FamilyCreated(f);
                copy.Write(FamilyIdOf(f), NpgsqlDbType.Uuid);
                copy.Write(FamilyClientIdOf(f, counts), NpgsqlDbType.Text);
                copy.Write(plan.FamilyUserOf(f), NpgsqlDbType.Text);
                copy.Write(SignInScopes, NpgsqlDbType.Array | NpgsqlDbType.Text);
                copy.Write(GrantTypes.AuthorizationCode, NpgsqlDbType.Text);
                copy.Write(created, NpgsqlDbType.TimestampTz);
                copy.Write(PasswordAmr, NpgsqlDbType.Array | NpgsqlDbType.Text);
                copy.Write(created, NpgsqlDbType.TimestampTz);
                copy.Write(created + RefreshLifespan, NpgsqlDbType.TimestampTz);
                copy.Write(NoValues, NpgsqlDbType.Array | NpgsqlDbType.Text);
            });

        // Each family's current token and the 0-3 it rotated before (kept until the family is purged), hashed as the service does.
        await CopyAsync(connection, log, "refresh_token", "token_hash, family_id, created_at, rotated_at",
            Enumerable.Range(0, counts.RefreshFamilies).SelectMany(f => Enumerable.Range(0, RotationsOf(f) + 1), (f, g) => (Family: f, Generation: g)),
            (copy, t) =>
            {
                copy.Write(RefreshTokens.Hash(RefreshToken(t.Family, t.Generation)), NpgsqlDbType.Bytea);
                copy.Write(FamilyIdOf(t.Family), NpgsqlDbType.Uuid);
                copy.Write(plan.RefreshIssued(t.Family, t.Generation), NpgsqlDbType.TimestampTz);
                if (t.Generation < RotationsOf(t.Family))
                {
                    copy.Write(plan.RefreshIssued(t.Family, t.Generation + 1), NpgsqlDbType.TimestampTz);
                }
                else
                {
                    copy.WriteNull();
                }
            });

        // Revocations of live tokens only, spread over them: those are what the edge holds (the purge drops the others within minutes).
        var live = counts.TokenRecords - counts.TokenRecords / 2;
        var step = Math.Max(1, live / counts.Revocations);
        await CopyAsync(connection, log, "revoked_token", "jti, client_id, expires_at, revoked_at",
            Enumerable.Range(0, counts.Revocations), (copy, r) =>
            {
                var token = plan.TokenAt(counts.TokenRecords / 2 + r * step % live);
                copy.Write(token.Jti, NpgsqlDbType.Text);
                copy.Write(token.ClientId, NpgsqlDbType.Text);
                copy.Write(token.ExpiresAt, NpgsqlDbType.TimestampTz);
                copy.Write(token.IssuedAt + (plan.Now - token.IssuedAt) * Unit(r, RevokedSalt), NpgsqlDbType.TimestampTz);
            });
    }

    /// <summary>Fills one database in one transaction (a failed run leaves it as it was), then ANALYZEs the tables filled.</summary>
    private static async Task InDatabaseAsync(SystemFixture system, string database, TextWriter log, string[] tables, Func<NpgsqlConnection, Task> fill)
    {
        await log.WriteLineAsync($"{database}:");
        await using var source = await system.DatabaseAsync(database);
        await using var connection = await source.OpenConnectionAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await fill(connection);
            await tx.CommitAsync();
        }

        var started = Stopwatch.GetTimestamp();
        await using (var analyze = new NpgsqlCommand($"ANALYZE {string.Join(", ", tables)}", connection) { CommandTimeout = 600 })
        {
            await analyze.ExecuteNonQueryAsync();
        }

        await log.WriteLineAsync($"  ANALYZE: {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
    }

    private static async Task CopyAsync<T>(NpgsqlConnection connection, TextWriter log, string table, string columns, IEnumerable<T> rows,
        Action<NpgsqlBinaryImporter, T> write)
    {
        var started = Stopwatch.GetTimestamp();
        ulong count;
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"))
        {
            // The server may take a while over a million rows' index entries before it answers.
            copy.Timeout = TimeSpan.FromMinutes(10);
            foreach (var row in rows)
            {
                copy.StartRow();
                write(copy, row);
            }

            count = await copy.CompleteAsync();
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await log.WriteLineAsync($"  {table}: {count:N0} rows in {seconds:F1} s ({count / Math.Max(seconds, 1e-3):N0} rows/s)");
    }

    /// <summary>ServiceNow-style sys_id (32 lowercase hex digits), recognisably seeded.</summary>
    private static string UserSysIdOf(int i) => $"5eed{i:x28}";

    private static Guid FamilyIdOf(int family) => Guid.ParseExact($"5eedfa11{family:x24}", "N");

    private static int RotationsOf(int family) => family % 4;

    /// <summary>Generation <paramref name="generation"/> of a family's refresh tokens, in the form RefreshTokens.New makes.</summary>
    private static string RefreshToken(int family, int generation)
    {
        Span<byte> bytes = stackalloc byte[32];
        Fill(bytes, family, (byte)(RefreshSalt + generation));
        return RefreshTokens.Prefix + System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }

    // SplitMix64: a bijection that scatters its input, so per-row draws are independent yet the same on every run.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static ulong Draw(long n, byte salt) => Mix(((ulong)n << 8) | salt);

    /// <summary>A number in [0, 1) for row <paramref name="n"/>.</summary>
    private static double Unit(long n, byte salt) => (Draw(n, salt) >> 11) * (1.0 / (1UL << 53));

    /// <summary>One of <paramref name="count"/> for row <paramref name="n"/>.</summary>
    private static int Pick(long n, byte salt, int count) => (int)(Draw(n, salt) % (ulong)count);

    private static void Fill(Span<byte> bytes, long n, byte salt)
    {
        var state = Draw(n, salt);
        for (var at = 0; at < bytes.Length; at += 8)
        {
            state = Mix(state);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[at..], state);
        }
    }

    private sealed record TokenRecord(string Jti, string ClientId, string Subject, string Scope, string GrantType, DateTime IssuedAt, DateTime ExpiresAt,
        byte[]? CodeHash, Guid? FamilyId);

    /// <summary>The counts and the moment of one run, and the rows derived from them.</summary>
    private sealed class Plan(Counts counts, DateTime now)
    {
        public Counts Counts { get; } = counts;

        public DateTime Now { get; } = now;

        /// <summary>A moment up to <paramref name="span"/> before now.</summary>
        public DateTime Before(long n, byte salt, TimeSpan span) => Now - span * Unit(n, salt);

        /// <summary>Client <paramref name="i"/>'s scopes: the sign-in ones, useraccount, and its API's two.</summary>
        public string[] ScopesOf(int i) => ["openid", "profile", ApiPolicies.UserAccount, ReadScopeOf(i % Counts.Policies), WriteScopeOf(i % Counts.Policies)];

        public string FamilyUserOf(int family) => UserSysIdOf(family % Counts.Users);

        public DateTime FamilyCreated(int family) => Before(family, CreatedSalt, TimeSpan.FromDays(60));

        /// <summary>When a family's token of <paramref name="generation"/> was issued: its rotations spread evenly from the family's start to now.</summary>
        public DateTime RefreshIssued(int family, int generation)
        {
            var created = FamilyCreated(family);
            return created + (Now - created) * generation / (RotationsOf(family) + 1);
        }

        /// <summary>
        /// Access-token record <paramref name="n"/>. The first half expired long enough ago for the purge
        /// to take them (a day past expiry); the second half lives a day, the longest an access token may,
        /// so it and its revocations stay live through any run. 60 % client credentials, 30 % from codes,
        /// 10 % refreshed from a seeded family.
        /// </summary>
        public TokenRecord TokenAt(int n)
        {
            var expired = n < Counts.TokenRecords / 2;
            var issued = expired ? Now - TimeSpan.FromDays(2) - TimeSpan.FromDays(28) * Unit(n, IssuedSalt) : Now - TimeSpan.FromHours(12) * Unit(n, IssuedSalt);
            var expires = issued + (expired ? TimeSpan.FromMinutes(30) : TimeSpan.FromDays(1));
            Span<byte> id = stackalloc byte[16];
            Fill(id, n, JtiSalt);
            // As AccessToken.NewJti: 128 bits, base64url.
            var jti = System.Buffers.Text.Base64Url.EncodeToString(id);
            switch (n % 10)
            {
                case < 6:
                    // No application user: the token's subject is the client.
                    var client = ClientIdOf(Pick(n, ClientSalt, Counts.Clients));
                    return new TokenRecord(jti, client, client, ApiPolicies.UserAccount, GrantTypes.ClientCredentials, issued, expires, null, null);
                case < 9:
                    var codeHash = new byte[32];
                    Fill(codeHash, n, CodeSalt);
                    return new TokenRecord(jti, ClientIdOf(3 * Pick(n, ClientSalt, (Counts.Clients + 2) / 3)), UserSysIdOf(Pick(n, UserSalt, Counts.Users)),
                        SignInScope, GrantTypes.AuthorizationCode, issued, expires, codeHash, null);
                default:
                    var family = Pick(n, FamilySalt, Counts.RefreshFamilies);
                    return new TokenRecord(jti, FamilyClientIdOf(family, Counts), FamilyUserOf(family), SignInScope, GrantTypes.RefreshToken, issued, expires, null,
                        FamilyIdOf(family));
            }
        }
    }
}
