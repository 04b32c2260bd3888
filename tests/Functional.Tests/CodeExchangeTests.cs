using System.Net;
using Aspire.Hosting.Testing;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Functional.Tests;

/// <summary>The token endpoint side of the code flow: every invalid_grant, replay, races, lockout.</summary>
[Collection(SystemCollection.Name)]
public sealed class CodeExchangeTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    private sealed record Flow(string ClientId, string? Secret, string Code, string? Verifier);

    /// <summary>Signs a fresh user in and consents; returns a code ready to redeem.</summary>
    private async Task<Flow> CodeAsync(bool isPublic = false, bool pkce = true, string[]? scopes = null, string? userName = null, string? password = null,
        (string ClientId, string? Secret)? client = null)
    {
        var (clientId, secret) = client ?? await _api.CreateWebClientAsync([Redirect], scopes ?? ["useraccount"], isPublic);
        if (userName is null)
        {
            (userName, _, password) = await _api.CreateSignInUserAsync();
        }

        var verifier = pkce ? Protocol.Tokens.AccessToken.NewJti() + Protocol.Tokens.AccessToken.NewJti() + "-pkce" : null;
        var url = $"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&state=s&scope={Uri.EscapeDataString(string.Join(' ', scopes ?? ["useraccount"]))}"
            + (verifier is null ? "" : $"&code_challenge={Pkce.ChallengeOf(verifier)}&code_challenge_method=S256");
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync(url);
        await browser.SignInAsync(userName, password!);
        var response = browser.Html.Contains("wants to access") ? await browser.ConsentAsync(true) : browser.Last!;
        return new Flow(clientId, secret, FormBrowser.RedirectParameters(response, out _)["code"], verifier);
    }

    private Task<TokenResponse> RedeemAsync(Flow flow, string? redirectUri = Redirect, string? verifier = "", string? clientId = null, string? secret = "") =>
        system.Edge.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = _api.TokenEndpoint,
            ClientId = clientId ?? flow.ClientId,
            ClientSecret = secret == "" ? flow.Secret : secret,
            Code = flow.Code,
            RedirectUri = redirectUri!,
            CodeVerifier = verifier == "" ? flow.Verifier : verifier,
            ClientCredentialStyle = (secret == "" ? flow.Secret : secret) is null ? ClientCredentialStyle.PostBody : ClientCredentialStyle.AuthorizationHeader,
        });

    private static void AssertInvalidGrant(TokenResponse response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.HttpStatusCode);
        Assert.Equal("invalid_grant", TestApi.OAuthError(response));
    }

    [Fact]
    public async Task ADifferentRedirectUriIsInvalidGrant() => AssertInvalidGrant(await RedeemAsync(await CodeAsync(), "https://app.example.test/other"));

    [Fact]
    public async Task AnOmittedRedirectUriIsInvalidGrantWhenTheRequestHadOne()
    {
        var flow = await CodeAsync();
        var response = await _api.PostFormAsync("/oauth/token",
            [new("grant_type", "authorization_code"), new("code", flow.Code), new("code_verifier", flow.Verifier!)], flow.ClientId, flow.Secret);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (await _api.ReadAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnotherClientsCodeIsInvalidGrantAndStaysUsableByItsOwner()
    {
        var flow = await CodeAsync();
        var (otherId, otherSecret) = await _api.CreateWebClientAsync([Redirect], ["useraccount"]);

        AssertInvalidGrant(await RedeemAsync(flow, clientId: otherId, secret: otherSecret));
        Assert.False((await RedeemAsync(flow)).IsError);
    }

    [Fact]
    public async Task AWrongVerifierIsInvalidGrant() => AssertInvalidGrant(await RedeemAsync(await CodeAsync(), verifier: new string('w', 50)));

    [Fact]
    public async Task AMissingVerifierIsInvalidGrant() => AssertInvalidGrant(await RedeemAsync(await CodeAsync(), verifier: null));

    [Fact]
    public async Task AVerifierWhenNoChallengeWasSentIsInvalidGrant() =>
        AssertInvalidGrant(await RedeemAsync(await CodeAsync(pkce: false), verifier: new string('x', 50)));

    [Fact]
    public async Task AMalformedVerifierIsAnInvalidRequest()
    {
        var response = await RedeemAsync(await CodeAsync(), verifier: "short");
        Assert.Equal("invalid_request", TestApi.OAuthError(response));
    }

    [Fact]
    public async Task AnUnknownCodeIsInvalidGrant() => AssertInvalidGrant(await RedeemAsync((await CodeAsync()) with { Code = "made-up-code" }));

    [Fact]
    public async Task AnExpiredCodeIsInvalidGrant()
    {
        var flow = await CodeAsync();
        await using (var db = await system.DatabaseAsync("tokendb"))
        {
            await using var expire = db.CreateCommand("UPDATE authorization_code SET expires_at = now() - interval '1 second' WHERE code_hash = $1");
            expire.Parameters.AddWithValue(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(flow.Code)));
            Assert.Equal(1, await expire.ExecuteNonQueryAsync());
        }

        AssertInvalidGrant(await RedeemAsync(flow));
    }

    [Fact]
    public async Task ASecondUseOfACodeIsRefusedAndRevokesTheTokensOfTheFirst()
    {
        var flow = await CodeAsync();
        var first = await RedeemAsync(flow);
        Assert.False(first.IsError, first.Raw);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: first.AccessToken)).StatusCode);

        AssertInvalidGrant(await RedeemAsync(flow));

        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: first.AccessToken)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "refusing the tokens of a replayed code");
        var introspection = await _api.PostFormAsync("/oauth/introspect", [new("token", first.AccessToken!)], flow.ClientId, flow.Secret);
        Assert.False((await _api.ReadAsync(introspection)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task ASecondUseOfACodeRevokesTheRefreshFamilyAndEverythingRefreshedFromIt()
    {
        var client = await _api.CreateWebClientAsync([Redirect], ["useraccount"], grantTypes: ["authorization_code", "refresh_token"]);
        var flow = await CodeAsync(client: client);
        var first = await RedeemAsync(flow);
        Assert.False(first.IsError, first.Raw);
        Assert.NotNull(first.RefreshToken);
        var refreshed = await _api.RefreshAsync(flow.ClientId, flow.Secret, first.RefreshToken!);
        Assert.False(refreshed.IsError, refreshed.Raw);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: refreshed.AccessToken)).StatusCode);

        AssertInvalidGrant(await RedeemAsync(flow));

        AssertInvalidGrant(await _api.RefreshAsync(flow.ClientId, flow.Secret, refreshed.RefreshToken!));
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: refreshed.AccessToken)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "refusing an access token refreshed from a replayed code's family");
        var introspection = await _api.PostFormAsync("/oauth/introspect", [new("token", refreshed.RefreshToken!)], flow.ClientId, flow.Secret);
        Assert.False((await _api.ReadAsync(introspection)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task OfTenConcurrentRedemptionsOfOneCodeExactlyOneSucceeds()
    {
        var flow = await CodeAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RedeemAsync(flow)));

        Assert.Single(results, r => !r.IsError);
        Assert.All(results.Where(r => r.IsError), r => Assert.Equal("invalid_grant", TestApi.OAuthError(r)));
    }

    [Fact]
    public async Task AnAdministratorSigningInThroughTheCodeFlowCanCallTheAdminApi()
    {
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["admin.api"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync(["oauth_admin"]);
        var flow = await CodeAsync(scopes: ["admin.api"], userName: userName, password: password, client: (clientId, secret));

        var tokens = await RedeemAsync(flow);

        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: tokens.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task FiveWrongPasswordsLockTheAccountEvenForTheRightPasswordAndTheLockIsAudited()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, _) = await _api.CreateWebClientAsync([Redirect], ["useraccount"]);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&state=s&scope=useraccount");

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInAsync(userName, "wrong-password-" + i)).StatusCode);
            Assert.Contains("incorrect, or the account is locked", browser.Html);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInAsync(userName, password)).StatusCode);
        Assert.Contains("incorrect, or the account is locked", browser.Html);
        // The lock is audited by the directory, the six failures (five wrong passwords, then the right one
        // while locked) by the sign-in page: two services' outboxes, so either may arrive first.
        bool IsLock(System.Text.Json.JsonElement e) => e.GetProperty("type").GetString() == "AccountLocked" && e.GetProperty("userSysId").GetString() == sysId;
        bool IsFailure(System.Text.Json.JsonElement e) =>
            e.GetProperty("type").GetString() == "LoginFailed" && e.TryGetProperty("userSysId", out var u) && u.GetString() == sysId;
        var (locks, failures) = (0, 0);
        var events = await queue.ReadUntilAsync(e =>
        {
            locks += IsLock(e) ? 1 : 0;
            failures += IsFailure(e) ? 1 : 0;
            return locks > 0 && failures >= 6;
        }, TimeSpan.FromSeconds(10));
        Assert.Single(events, e => IsLock(e));
        Assert.Equal(6, events.Count(e => IsFailure(e)));
        Assert.DoesNotContain(events, e => e.GetRawText().Contains("wrong-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheCodeFlowIsAudited()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var flow = await CodeAsync();
        var first = await RedeemAsync(flow);
        await RedeemAsync(flow);
        var jti = new JsonWebToken(first.AccessToken).Id;

        string[] expected = ["LoginSucceeded", "ConsentGranted", "CodeIssued", "CodeRedeemed", "TokenIssued", "CodeReplayDetected", "TokenRevoked"];
        // Each service relays its own outbox: authorize's events may reach the stream after token's.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var events = await queue.ReadUntilAsync(e =>
        {
            var type = e.GetProperty("type").GetString()!;
            if (type != "CodeReplayDetected" || e.GetProperty("clientId").GetString() == flow.ClientId)
            {
                seen.Add(type);
            }

            return expected.All(seen.Contains);
        }, TimeSpan.FromSeconds(10));
        foreach (var type in expected)
        {
            Assert.Contains(events, e => e.GetProperty("type").GetString() == type);
        }

        var replay = events.Single(e => e.GetProperty("type").GetString() == "CodeReplayDetected" && e.GetProperty("clientId").GetString() == flow.ClientId);
        Assert.Equal([jti], replay.GetProperty("revokedJtis").EnumerateArray().Select(j => j.GetString()));
        Assert.DoesNotContain(events, e => e.GetRawText().Contains(flow.Code, StringComparison.Ordinal));
    }
}
