using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>Issue 6: the password grant for legacy clients, the JWT bearer grant and private_key_jwt.</summary>
[Collection(SystemCollection.Name)]
public sealed class PasswordAndJwtBearerTests(SystemFixture system)
{
    private const string JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private readonly TestApi _api = new(system);

    private Task<TokenResponse> PasswordAsync(string clientId, string secret, string userName, string password) =>
        system.Edge.RequestPasswordTokenAsync(new PasswordTokenRequest
        {
            Address = _api.TokenEndpoint, ClientId = clientId, ClientSecret = secret, UserName = userName, Password = password,
        });

    private async Task<(string ClientId, string Secret)> JwtClientAsync(object verifier, string? applicationUser = null, string[]? grants = null)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Signing integration",
            grantTypes = grants ?? [JwtBearer],
            scopes = new[] { "useraccount" },
            applicationUser,
            jwtVerifier = verifier,
        });
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
    }

    private Task<HttpResponseMessage> JwtBearerAsync(string clientId, string secret, string assertion) =>
        _api.PostFormAsync("/oauth/token", [new("grant_type", JwtBearer), new("assertion", assertion)], clientId, secret);

    [Fact]
    public async Task ThePasswordGrantIssuesTokensAndALockoutDoesNotStopRefresh()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password", "refresh_token"]);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();

        var tokens = await PasswordAsync(clientId, secret, userName, password);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(sysId, new JsonWebToken(tokens.AccessToken).Subject);
        Assert.NotNull(tokens.RefreshToken);

        // Anyone can lock an account by guessing; that must not end the owner's existing sessions.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("invalid_grant", TestApi.OAuthError(await PasswordAsync(clientId, secret, userName, "guess-" + i)));
        }

        Assert.Equal("invalid_grant", TestApi.OAuthError(await PasswordAsync(clientId, secret, userName, password)));
        Assert.False((await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)).IsError);
    }

    [Fact]
    public async Task EveryPasswordFailureAnswersTheSameWhetherOrNotTheUserExists()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password"]);
        var (userName, _, _) = await _api.CreateSignInUserAsync();

        var wrongPassword = await PasswordAsync(clientId, secret, userName, "not-the-password");
        var noSuchUser = await PasswordAsync(clientId, secret, "nobody-" + Guid.NewGuid().ToString("N"), "not-the-password");

        Assert.Equal(wrongPassword.Raw, noSuchUser.Raw);
        Assert.Equal(HttpStatusCode.BadRequest, noSuchUser.HttpStatusCode);
    }

    [Fact]
    public async Task AClientWithoutThePasswordGrantIsUnauthorized()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        Assert.Equal("unauthorized_client", TestApi.OAuthError(await PasswordAsync(clientId, secret, userName, password)));
    }

    [Fact]
    public async Task JwtBearerForAUserWithKeysFromAJwksUrlServedByTheTest()
    {
        await using var keys = await TestKeyServer.StartAsync();
        var (clientId, secret) = await JwtClientAsync(new { jwksUri = keys.JwksUri, jwksCacheLifespan = 60 });
        var (userName, sysId, _) = await _api.CreateSignInUserAsync();

        var response = await JwtBearerAsync(clientId, secret, keys.Sign(TestKeyServer.Claims(clientId, userName, _api.TokenEndpoint)));

        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
        Assert.Equal(sysId, new JsonWebToken(body.GetProperty("access_token").GetString()).Subject);
        Assert.False(body.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task JwtBearerForTheClientItselfWithAKeyFromAPemCertificate()
    {
        var (key, pem) = TestKeyServer.NewCertificate();
        var app = await _api.CreateUserAsync(TestApi.Unique("app"), ["itil"]);
        var (clientId, secret) = await JwtClientAsync(new { keys = new[] { new { kid = "cert-1", alg = "RS256", certificatePem = pem } } },
            app.GetProperty("userName").GetString());
        await using var signer = await TestKeyServer.StartAsync();

        var response = await JwtBearerAsync(clientId, secret, signer.Sign(TestKeyServer.Claims(clientId, clientId, system.Issuer), key));

        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
        Assert.Equal(app.GetProperty("sysId").GetString(), new JsonWebToken(body.GetProperty("access_token").GetString()).Subject);
    }

    [Fact]
    public async Task AssertionsFailingAnyCheckAreInvalidGrantWithTheReasonAudited()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var keys = await TestKeyServer.StartAsync();
        var (clientId, secret) = await JwtClientAsync(new { jwksUri = keys.JwksUri });
        var (userName, _, _) = await _api.CreateSignInUserAsync();
        var valid = TestKeyServer.Claims(clientId, userName, _api.TokenEndpoint);
        var replayed = keys.Sign(valid);
        Assert.Equal(HttpStatusCode.OK, (await JwtBearerAsync(clientId, secret, replayed)).StatusCode);

        var cases = new Dictionary<string, string>
        {
            ["replayed jti"] = replayed,
            ["client id as audience"] = keys.Sign(new(valid) { ["aud"] = clientId, ["jti"] = Guid.NewGuid().ToString() }),
            ["expired"] = keys.Sign(new(valid) { ["exp"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), ["iat"] = DateTimeOffset.UtcNow.AddMinutes(-20).ToUnixTimeSeconds(), ["jti"] = Guid.NewGuid().ToString() }),
            ["unknown user"] = keys.Sign(new(valid) { ["sub"] = "nobody-here", ["jti"] = Guid.NewGuid().ToString() }),
            ["another issuer"] = keys.Sign(new(valid) { ["iss"] = "someone-else", ["jti"] = Guid.NewGuid().ToString() }),
        };
        foreach (var (name, assertion) in cases)
        {
            var response = await JwtBearerAsync(clientId, secret, assertion);
            var body = await _api.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {body}");
            Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
            Assert.Equal("The assertion was not accepted.", body.GetProperty("error_description").GetString());
        }

        var refusals = await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3));
        var reasons = refusals.Where(e => e.GetProperty("type").GetString() == "JwtAssertionRefused" && e.GetProperty("clientId").GetString() == clientId)
            .Select(e => e.GetProperty("reason").GetString()).ToArray();
        Assert.Equal(cases.Count, reasons.Length);
        Assert.Contains(reasons, r => r!.StartsWith("Replayed", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r!.StartsWith("WrongAudience", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAssertionReplayedInsideTheSkewWindowIsRefusedAfterThePurgeHasRun()
    {
        await using var keys = await TestKeyServer.StartAsync();
        var (clientId, secret) = await JwtClientAsync(new { jwksUri = keys.JwksUri });
        var (userName, _, _) = await _api.CreateSignInUserAsync();
        // Expired 5 s ago: still accepted for the 60 s default skew.
        var exp = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds();
        var assertion = keys.Sign(new(TestKeyServer.Claims(clientId, userName, _api.TokenEndpoint)) { ["exp"] = exp, ["iat"] = exp - 60 });
        Assert.Equal(HttpStatusCode.OK, (await JwtBearerAsync(clientId, secret, assertion)).StatusCode);

        // A sentinel jti already past its keeping time: once it is gone, the real purge has run.
        await using var db = await system.DatabaseAsync("tokendb");
        var sentinel = Guid.NewGuid().ToString();
        await using (var insert = db.CreateCommand("INSERT INTO used_jti (client_id, jti, expires_at) VALUES ($1, $2, now() - interval '1 minute')"))
        {
            insert.Parameters.AddWithValue(clientId);
            insert.Parameters.AddWithValue(sentinel);
            await insert.ExecuteNonQueryAsync();
        }

        await TestApi.EventuallyAsync(async () =>
        {
            await using var count = db.CreateCommand("SELECT count(*) FROM used_jti WHERE jti = $1");
            count.Parameters.AddWithValue(sentinel);
            return (long)(await count.ExecuteScalarAsync())! == 0;
        }, TimeSpan.FromSeconds(15), "the token service's purge of used jtis");

        var replay = await JwtBearerAsync(clientId, secret, assertion);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", (await _api.ReadAsync(replay)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AKeyRotatedAtTheJwksUrlIsPickedUpOnTheFirstAssertionThatUsesIt()
    {
        await using var keys = await TestKeyServer.StartAsync();
        var (clientId, secret) = await JwtClientAsync(new { jwksUri = keys.JwksUri, jwksCacheLifespan = 3600 });
        var (userName, _, _) = await _api.CreateSignInUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await JwtBearerAsync(clientId, secret, keys.Sign(TestKeyServer.Claims(clientId, userName, system.Issuer)))).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // the refetch rate limit (1 s in the tests)

        keys.Rotate();
        var fetchesBefore = keys.Fetches;

        Assert.Equal(HttpStatusCode.OK, (await JwtBearerAsync(clientId, secret, keys.Sign(TestKeyServer.Claims(clientId, userName, system.Issuer)))).StatusCode);
        Assert.Equal(fetchesBefore + 1, keys.Fetches);
    }

    [Fact]
    public async Task PrivateKeyJwtAuthenticatesAClientAtTheTokenEndpointAndItsAssertionIsOneTime()
    {
        await using var keys = await TestKeyServer.StartAsync();
        var (clientId, _) = await JwtClientAsync(new { jwksUri = keys.JwksUri }, grants: ["client_credentials"]);
        var assertion = keys.Sign(TestKeyServer.Claims(clientId, clientId, system.Issuer));
        var form = (string a) => new KeyValuePair<string, string>[]
        {
            new("grant_type", "client_credentials"),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", a),
        };

        var first = await _api.PostFormAsync("/oauth/token", form(assertion));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(clientId, new JsonWebToken((await _api.ReadAsync(first)).GetProperty("access_token").GetString()).GetPayloadValue<string>("client_id"));

        var replay = await _api.PostFormAsync("/oauth/token", form(assertion));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("invalid_client", (await _api.ReadAsync(replay)).GetProperty("error").GetString());

        // The audience must be the issuer alone (rfc7523bis): the token endpoint URL is refused here.
        var wrongAudience = await _api.PostFormAsync("/oauth/token", form(keys.Sign(TestKeyServer.Claims(clientId, clientId, _api.TokenEndpoint))));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAudience.StatusCode);
    }

    [Fact]
    public async Task TheSharedKeyIsWriteOnlyAndAShortOneIsRefused()
    {
        var problem = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "x", grantTypes = new[] { JwtBearer }, jwtVerifier = new { sharedKey = "short", algorithms = new[] { "HS256" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, problem.StatusCode);
        Assert.True((await _api.ReadAsync(problem)).GetProperty("errors").TryGetProperty("jwtVerifier.sharedKey", out _));

        var sharedKey = new string('z', 40);
        var (clientId, _) = await JwtClientAsync(new { sharedKey, algorithms = new[] { "HS256" } });
        var read = await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}");
        Assert.DoesNotContain(sharedKey, await read.Content.ReadAsStringAsync());
    }
}
