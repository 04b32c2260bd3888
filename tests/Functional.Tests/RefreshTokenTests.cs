using System.Net;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>Issue 6: refresh tokens, rotated on every use, stolen ones detected, families bounded.</summary>
[Collection(SystemCollection.Name)]
public sealed class RefreshTokenTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    private async Task<(string ClientId, string? Secret, Duende.IdentityModel.Client.TokenResponse Tokens, string UserName)> SignedInAsync(
        string scope = "useraccount profile", int refreshLifespan = 8_640_000, bool isPublic = false)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "App with refresh",
            @public = isPublic,
            grantTypes = new[] { "authorization_code", "refresh_token" },
            redirectUris = new[] { Redirect },
            scopes = new[] { "openid", "profile", "useraccount" },
            refreshTokenLifespan = refreshLifespan,
        });
        var client = await _api.ReadAsync(response);
        var (clientId, secret) = (client.GetProperty("clientId").GetString()!, client.TryGetProperty("clientSecret", out var s) ? s.GetString() : null);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var tokens = await _api.CodeFlowAsync(clientId, secret, userName, password, scope);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.NotNull(tokens.RefreshToken);
        return (clientId, secret, tokens, userName);
    }

    [Fact]
    public async Task EveryUseRotatesTheRefreshTokenAndTheOldOneStopsWorking()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync();

        var second = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!);
        Assert.False(second.IsError, second.Raw);
        Assert.NotEqual(tokens.RefreshToken, second.RefreshToken);
        Assert.NotEqual(tokens.AccessToken, second.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: second.AccessToken)).StatusCode);

        var replay = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!);
        Assert.Equal("invalid_grant", TestApi.OAuthError(replay));
    }

    [Fact]
    public async Task ARotatedTokenPresentedAfterTheGraceWindowRevokesTheWholeFamilyAndItsAccessTokens()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, secret, tokens, _) = await SignedInAsync();
        var second = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)));

        // The thief's replay cost the legitimate holder too: the family is gone.
        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, second.RefreshToken!)));
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: second.AccessToken)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "refusing the family's access token");
        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "RefreshTokenReuseDetected", TimeSpan.FromSeconds(10));
        var reuse = events.Last();
        Assert.Equal("RefreshTokenReuseDetected", reuse.GetProperty("type").GetString());
        Assert.Contains(new JsonWebToken(second.AccessToken).Id, reuse.GetProperty("revokedJtis").EnumerateArray().Select(j => j.GetString()));
    }

    [Fact]
    public async Task OfRacingRefreshesWithOneTokenExactlyOneSucceedsAndTheFamilyStaysIntact()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)));

        var winner = Assert.Single(results, r => !r.IsError);
        Assert.All(results.Where(r => r.IsError), r => Assert.Equal("invalid_grant", TestApi.OAuthError(r)));
        var next = await _api.RefreshAsync(clientId, secret, winner.RefreshToken!);
        Assert.False(next.IsError, next.Raw);
    }

    [Fact]
    public async Task TheFamilyExpiresAFixedTimeAfterItsFirstIssueWhateverTheRotations()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync(refreshLifespan: 4);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var rotated = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!);
        Assert.False(rotated.IsError, rotated.Raw);

        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, rotated.RefreshToken!)));
    }

    [Fact]
    public async Task ScopeMayNarrowTheNewAccessTokenOnlyNeverWidenAndTheFamilyKeepsItsGrant()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync(scope: "useraccount profile");

        var narrowed = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!, "profile");
        Assert.Equal("profile", narrowed.Scope);
        Assert.Equal("invalid_scope", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, narrowed.RefreshToken!, "profile openid")));
        var full = await _api.RefreshAsync(clientId, secret, narrowed.RefreshToken!);
        Assert.Equal("profile useraccount", full.Scope);
    }

    [Fact]
    public async Task WithOpenIdARefreshReturnsANewIdTokenForTheSameSubjectAndAuthTime()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync(scope: "openid profile");
        var first = new JsonWebToken(tokens.IdentityToken);
        await Task.Delay(1100);

        var refreshed = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!);

        var second = new JsonWebToken(refreshed.IdentityToken);
        Assert.Equal(first.Subject, second.Subject);
        Assert.Equal(first.GetPayloadValue<long>("auth_time"), second.GetPayloadValue<long>("auth_time"));
        Assert.True(second.GetPayloadValue<long>("iat") > first.GetPayloadValue<long>("iat"));
    }

    [Fact]
    public async Task APublicClientRefreshesWithItsClientIdAlone()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync(isPublic: true);
        Assert.Null(secret);
        Assert.False((await _api.RefreshAsync(clientId, null, tokens.RefreshToken!)).IsError);
    }

    [Fact]
    public async Task ADeactivatedUserARevokedConsentOrAnInactiveClientEndsRefresh()
    {
        var (clientId, secret, tokens, userName) = await SignedInAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{userName}/consents/{clientId}")).StatusCode);
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)) == "invalid_grant",
            TimeSpan.FromSeconds(2), "refusing refresh after consent was revoked");

        var (clientId2, secret2, tokens2, userName2) = await SignedInAsync();
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{userName2}", new { active = false })).StatusCode);
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RefreshAsync(clientId2, secret2, tokens2.RefreshToken!)) == "invalid_grant",
            TimeSpan.FromSeconds(2), "refusing refresh for a deactivated user");

        var (clientId3, secret3, tokens3, _) = await SignedInAsync();
        var client = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId3}"));
        var body = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(client.GetRawText())!;
        body["active"] = false;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId3}", body)).StatusCode);
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RefreshAsync(clientId3, secret3, tokens3.RefreshToken!)) == "invalid_client",
            TimeSpan.FromSeconds(2), "refusing refresh for an inactive client");
    }

    [Fact]
    public async Task RevokingARefreshTokenEndsItsFamilyAndIntrospectionSeesIt()
    {
        var (clientId, secret, tokens, _) = await SignedInAsync();
        var introspect = async (string token) => await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", token)], clientId, secret));

        var active = await introspect(tokens.RefreshToken!);
        Assert.True(active.GetProperty("active").GetBoolean());
        Assert.Equal("refresh_token", active.GetProperty("token_type").GetString());

        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke",
            [new("token", tokens.RefreshToken!), new("token_type_hint", "refresh_token")], clientId, secret)).StatusCode);

        Assert.False((await introspect(tokens.RefreshToken!)).GetProperty("active").GetBoolean());
        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)));
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: tokens.AccessToken)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "refusing the family's access token after revocation");
    }

    [Fact]
    public async Task ClientCredentialsNeverGetARefreshToken()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["client_credentials", "refresh_token"]);
        var tokens = await _api.ClientCredentialsAsync(clientId, secret);
        Assert.False(tokens.IsError);
        Assert.Null(tokens.RefreshToken);
    }
}
