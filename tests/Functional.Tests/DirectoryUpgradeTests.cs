using System.Net;
using Aspire.Hosting.ApplicationModel;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// An installation upgraded from before the directory service: the users its authorize database held
/// (renamed <c>legacy_*</c> by a migration) are handed over to the directory when authorize starts,
/// password hashes and failed-password counts included, and then dropped. Played by writing a user
/// into authorize's database as that version stored it, then restarting authorize.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DirectoryUpgradeTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AUserTheAuthorizeDatabaseHeldSignsInAfterTheUpgradeAndItsLegacyTableIsGone()
    {
        var userName = TestApi.Unique("legacy");
        var sysId = Guid.NewGuid().ToString("N");
        const string Password = "Legacy-passw0rd-1";
        var names = new KeyedHash(await system.ParameterAsync("user-name-hash-key"), KeyedHash.LoginFailurePurpose);
        var nameKey = names.Of(userName.ToLowerInvariant());
        await using (var authorizeDb = await system.DatabaseAsync("authorizedb"))
        {
            // The tables as migration 0005 leaves them in an installation that had users (their shape after 0001, 0003 and 0004).
            await ExecuteAsync(authorizeDb, """
                CREATE TABLE legacy_app_user (
                    sys_id char(32) PRIMARY KEY, user_name text NOT NULL, email text, first_name text NOT NULL DEFAULT '',
                    last_name text NOT NULL DEFAULT '', password_hash text, roles text[] NOT NULL DEFAULT '{}', active boolean NOT NULL DEFAULT true,
                    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE legacy_login_failure (
                    name_key bytea PRIMARY KEY, failures integer NOT NULL, window_started timestamptz NOT NULL, locked_until timestamptz);
                CREATE TABLE legacy_bootstrap_done (id int PRIMARY KEY CHECK (id = 1), done_at timestamptz NOT NULL DEFAULT now());
                INSERT INTO legacy_bootstrap_done (id) VALUES (1);
                """);
            // Hashed as the authorize service hashed passwords (ASP.NET Core Identity's PasswordHasher).
            await ExecuteAsync(authorizeDb,
                "INSERT INTO legacy_app_user (sys_id, user_name, email, first_name, last_name, password_hash, roles) VALUES ($1, $2, $3, 'Legacy', 'User', $4, $5)",
                sysId, userName, $"{userName}@example.com", new PasswordHasher<string>().HashPassword("user", Password), new[] { "itil" });
            await ExecuteAsync(authorizeDb, "INSERT INTO legacy_login_failure (name_key, failures, window_started) VALUES ($1, 2, now())", nameKey);
        }

        var admin = (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/users/admin"))).GetProperty("sysId").GetString();

        // Healthy means the hand-over is done (it is part of authorize's readiness).
        await RestartAsync("authorize");

        await using (var authorizeDb = await system.DatabaseAsync("authorizedb"))
        {
            Assert.Equal(0L, await ScalarAsync<long>(authorizeDb,
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('legacy_app_user', 'legacy_login_failure', 'legacy_bootstrap_done')"));
        }

        // The failed-password count came along (the lockout state)...
        await using (var directoryDb = await system.DatabaseAsync("directorydb"))
        {
            Assert.Equal(2, await ScalarAsync<int>(directoryDb, "SELECT failures FROM login_failure WHERE name_key = $1", nameKey));
        }

        // ...the user, under its own sys_id and roles, is the directory's...
        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}"));
        Assert.Equal(sysId, read.GetProperty("sysId").GetString());
        Assert.Equal(new[] { "itil" }, read.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.Contains(sysId, await ListedSysIdsAsync());

        // ...and signs in with the password it had (checked by the directory).
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password"]);
        var tokens = await system.Edge.RequestPasswordTokenAsync(new PasswordTokenRequest
        {
            Address = _api.TokenEndpoint, ClientId = clientId, ClientSecret = secret, UserName = userName, Password = Password,
        });
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(sysId, new JsonWebToken(tokens.AccessToken).Subject);
        // A hand-over after the first (an empty one, this system's start) supersedes no administrator.
        var after = await _api.SendAsync(HttpMethod.Get, "/api/admin/users/admin");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(admin, (await _api.ReadAsync(after)).GetProperty("sysId").GetString());
    }

    /// <summary>Every user's sys_id, page by page from <c>GET /api/admin/users</c>.</summary>
    private async Task<List<string>> ListedSysIdsAsync()
    {
        var all = new List<string>();
        for (var offset = 0; ; offset += 200)
        {
            var page = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users?offset={offset}&limit=200"));
            var items = page.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("sysId").GetString()!).ToArray();
            all.AddRange(items);
            if (items.Length == 0 || offset + items.Length >= page.GetProperty("total").GetInt64())
            {
                return all;
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    /// <summary>Stops and starts a service, returning once it is healthy (ready) again.</summary>
    private async Task RestartAsync(string resource)
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        try
        {
            Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand)).Success);
            await notifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand)).Success);
        }
        finally
        {
            await notifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromSeconds(120));
        }
    }
}
