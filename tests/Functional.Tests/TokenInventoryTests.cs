using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The administrators' token inventory (<c>GET /api/admin/tokens</c>), revocation by token, family,
/// client or user (<c>POST /api/admin/tokens/revoke</c>), and consents across users (<c>/api/admin/consents</c>),
/// all through the edge.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TokenInventoryTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private static readonly TimeSpan WithinASecond = TimeSpan.FromSeconds(1);
    private readonly TestApi _api = new(system);

    /// <summary>A web client with refresh tokens, a user signed in to it, and the tokens of that sign-in.</summary>
    private async Task<(string ClientId, string Secret, string UserName, Duende.IdentityModel.Client.TokenResponse Tokens)> SignedInAsync()
    {
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid", "useraccount"], grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var tokens = await _api.CodeFlowAsync(clientId, secret, userName, password, "openid useraccount");
        Assert.False(tokens.IsError, tokens.Raw);
        return (clientId, secret!, userName, tokens);
    }

    private async Task<JsonElement> ListAsync(string query)
    {
        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/tokens" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<JsonElement> RevokeAsync(object body)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/tokens/revoke", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<HttpStatusCode> CallApiAsync(string token) =>
        (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode;

    [Fact]
    public async Task TheInventoryListsAClientsTokensAndFamiliesNewestFirstAPageAtATime()
    {
        var (clientId, secret, userName, tokens) = await SignedInAsync();
        var refreshed = await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!);
        Assert.False(refreshed.IsError, refreshed.Raw);

        var all = await ListAsync($"?client={clientId}");
        var items = all.GetProperty("items").EnumerateArray().ToList();
        Assert.False(all.TryGetProperty("next", out _), "one page holds them all");
        Assert.Equal(3, items.Count);
        var issued = items.Select(i => i.GetProperty("issuedAt").GetDateTimeOffset()).ToList();
        Assert.Equal(issued.OrderDescending(), issued);

        var first = new JsonWebToken(tokens.AccessToken!);
        var access = items.Single(i => i.GetProperty("id").GetString() == first.Id);
        Assert.Equal("access_token", access.GetProperty("type").GetString());
        Assert.Equal(userName, access.GetProperty("userName").GetString());
        Assert.Equal(first.Subject, access.GetProperty("subject").GetString());
        Assert.Equal("authorization_code", access.GetProperty("grantType").GetString());
        Assert.Contains("useraccount", access.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.True(access.GetProperty("active").GetBoolean());

        var family = items.Single(i => i.GetProperty("type").GetString() == "refresh_token");
        Assert.Equal(access.GetProperty("familyId").GetString(), family.GetProperty("id").GetString());
        Assert.True(family.TryGetProperty("lastUsedAt", out _), "a refreshed family says when");
        Assert.True(family.GetProperty("active").GetBoolean());

        // One at a time: the cursor walks the same list, nothing repeated or skipped.
        var walked = new List<string>();
        string? after = null;
        do
        {
            var page = await ListAsync($"?client={clientId}&limit=1" + (after is null ? "" : $"&after={after}"));
            walked.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            after = page.TryGetProperty("next", out var next) ? next.GetString() : null;
        }
        while (after is not null && walked.Count < 10);
        Assert.Equal(items.Select(i => i.GetProperty("id").GetString()), walked);

        var families = await ListAsync($"?user={userName}&type=refresh_token");
        Assert.Equal(family.GetProperty("id").GetString(), Assert.Single(families.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await ListAsync($"?client={clientId}&active=false")).GetProperty("items").EnumerateArray());
        Assert.Empty((await ListAsync("?user=nobody-by-this-name")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task RevokingEverythingOfAUserRefusesTheirTokensAtTheEdgeWithinASecondAndAuditsTheCount()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid", "useraccount"], grantTypes: ["authorization_code", "refresh_token"]);
        var (secondId, secondSecret) = await _api.CreateWebClientAsync([Redirect], ["openid", "useraccount"], grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        var tokens = await _api.CodeFlowAsync(clientId, secret, userName, password, "openid useraccount");
        var second = await _api.CodeFlowAsync(secondId, secondSecret, userName, password, "openid useraccount");
        var (otherClient, otherSecret, _, otherTokens) = await SignedInAsync();
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(tokens.AccessToken!));

        var revoked = await RevokeAsync(new { user = userName });
        Assert.Equal(2, revoked.GetProperty("accessTokens").GetInt32());
        Assert.Equal(2, revoked.GetProperty("refreshFamilies").GetInt32());

        await TestApi.EventuallyAsync(async () => await CallApiAsync(tokens.AccessToken!) == HttpStatusCode.Unauthorized
            && await CallApiAsync(second.AccessToken!) == HttpStatusCode.Unauthorized, WithinASecond, "refusing a revoked user's tokens at the edge");
        var introspection = await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", tokens.AccessToken!)], clientId, secret));
        Assert.False(introspection.GetProperty("active").GetBoolean());
        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret!, tokens.RefreshToken!)));
        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(secondId, secondSecret!, second.RefreshToken!)));
        Assert.Empty((await ListAsync($"?user={userName}&active=true")).GetProperty("items").EnumerateArray());
        Assert.Equal(4, (await ListAsync($"?user={userName}&active=false")).GetProperty("items").GetArrayLength());

        // Another user's tokens are untouched.
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(otherTokens.AccessToken!));
        Assert.False((await _api.RefreshAsync(otherClient, otherSecret, otherTokens.RefreshToken!)).IsError);

        var events = new List<JsonElement>();
        bool Mine(JsonElement e, string type) => e.GetProperty("type").GetString() == type && e.GetProperty("subjectId").GetString() == sysId;
        await TestApi.EventuallyAsync(async () =>
        {
            events.AddRange(await queue.ReadUntilAsync(_ => false, TimeSpan.FromMilliseconds(200)));
            return events.Any(e => Mine(e, "TokensRevokedInBulk")) && events.Any(e => Mine(e, "TokensCutOff"));
        }, TimeSpan.FromSeconds(15), "the bulk revocation's events");
        var bulk = events.Single(e => Mine(e, "TokensRevokedInBulk"));
        Assert.Equal("user", bulk.GetProperty("subjectKind").GetString());
        Assert.Equal(2, bulk.GetProperty("accessTokens").GetInt32());
        Assert.Equal(2, bulk.GetProperty("refreshFamilies").GetInt32());
        Assert.NotNull(bulk.GetProperty("actor").GetProperty("clientId").GetString());
        Assert.Equal("revoked by an administrator", bulk.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ASenderConstrainedTokenShowsItsBindingAndAClientsRevocationEndsItEverywhere()
    {
        var key = new DpopKey();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], canIntrospect: true);
        using var request = TestApi.ClientCredentialsRequest(clientId, secret);
        request.Headers.Add("DPoP", key.Proof("POST", _api.TokenEndpoint));
        var token = (await _api.ReadAsync(await _api.Edge.SendAsync(request))).GetProperty("access_token").GetString()!;

        var item = Assert.Single((await ListAsync($"?client={clientId}")).GetProperty("items").EnumerateArray());
        Assert.Equal(new JsonWebToken(token).Id, item.GetProperty("id").GetString());
        Assert.Equal(key.Jkt, item.GetProperty("binding").GetProperty("dpopJkt").GetString());

        Assert.Equal(1, (await RevokeAsync(new { client = clientId })).GetProperty("accessTokens").GetInt32());
        var introspection = await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", token)], clientId, secret));
        Assert.False(introspection.GetProperty("active").GetBoolean());
        Assert.False(Assert.Single((await ListAsync($"?client={clientId}")).GetProperty("items").EnumerateArray()).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task RevokingEverythingOfAClientEndsItsTokensButNotAnotherClientsOfTheSameUser()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (other, otherSecret) = await _api.CreateClientAsync(["useraccount"]);
        var first = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var second = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var others = (await _api.ClientCredentialsAsync(other, otherSecret)).AccessToken!;

        var revoked = await RevokeAsync(new { client = clientId });
        Assert.Equal(2, revoked.GetProperty("accessTokens").GetInt32());
        await TestApi.EventuallyAsync(async () => await CallApiAsync(first) == HttpStatusCode.Unauthorized && await CallApiAsync(second) == HttpStatusCode.Unauthorized,
            WithinASecond, "refusing a revoked client's tokens at the edge");
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(others));

        // The client still works: what it asks for now is not covered.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!));
    }

    [Fact]
    public async Task OneTokenOrOneFamilyIsRevokedAloneAndBadRequestsGetProblemDetails()
    {
        var (clientId, secret, _, tokens) = await SignedInAsync();
        var (otherId, otherSecret) = await _api.CreateClientAsync(["useraccount"]);
        var single = (await _api.ClientCredentialsAsync(otherId, otherSecret)).AccessToken!;
        var kept = (await _api.ClientCredentialsAsync(otherId, otherSecret)).AccessToken!;

        Assert.Equal(1, (await RevokeAsync(new { jti = new JsonWebToken(single).Id })).GetProperty("accessTokens").GetInt32());
        Assert.Equal(0, (await RevokeAsync(new { jti = new JsonWebToken(single).Id })).GetProperty("accessTokens").GetInt32());
        await TestApi.EventuallyAsync(async () => await CallApiAsync(single) == HttpStatusCode.Unauthorized, WithinASecond, "refusing a revoked token");
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(kept));

        var familyId = (await ListAsync($"?client={clientId}&type=refresh_token")).GetProperty("items")[0].GetProperty("id").GetString();
        var family = await RevokeAsync(new { familyId });
        Assert.Equal(1, family.GetProperty("accessTokens").GetInt32());
        Assert.Equal(1, family.GetProperty("refreshFamilies").GetInt32());
        Assert.Equal("invalid_grant", TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)));
        await TestApi.EventuallyAsync(async () => await CallApiAsync(tokens.AccessToken!) == HttpStatusCode.Unauthorized, WithinASecond,
            "refusing the family's access token");

        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { }, "body"), (new { jti = "a", client = "b" }, "body"), (new { familyId = "not-a-guid" }, "familyId"), (new { jtl = "a" }, "jtl"),
        })
        {
            var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/tokens/revoke", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True((await _api.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _), $"{JsonSerializer.Serialize(body)} names {field}");
        }

        foreach (var body in new object[] { new { jti = "no-such-token" }, new { familyId = Guid.NewGuid() }, new { client = "no-such-client" }, new { user = "no-such-user" } })
        {
            var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/tokens/revoke", body);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        foreach (var query in new[] { "?type=id_token", "?after=bm90LWEtY3Vyc29y", "?after=%%%" })
        {
            var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/tokens" + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // Administrators only: a token without admin.api is refused at the edge.
        var (plainId, plainSecret) = await _api.CreateClientAsync(["useraccount"]);
        var plain = (await _api.ClientCredentialsAsync(plainId, plainSecret)).AccessToken!;
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(HttpMethod.Get, "/api/admin/tokens", token: plain)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(HttpMethod.Post, "/api/admin/tokens/revoke", new { client = plainId }, token: plain)).StatusCode);
    }

    [Fact]
    public async Task WithdrawingAConsentRevokesTheAccessTokensTheApplicationHoldsForThatUserEvenWithoutRefreshTokens()
    {
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid", "useraccount"], grantTypes: ["authorization_code"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (otherUser, _, otherPassword) = await _api.CreateSignInUserAsync();
        var mine = await _api.CodeFlowAsync(clientId, secret, userName, password, "openid useraccount");
        var theirs = await _api.CodeFlowAsync(clientId, secret, otherUser, otherPassword, "openid useraccount");
        Assert.Null(mine.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(mine.AccessToken!));

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{userName}/consents/{clientId}")).StatusCode);

        await TestApi.EventuallyAsync(async () => await CallApiAsync(mine.AccessToken!) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(3),
            "refusing the disconnected application's token");
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(theirs.AccessToken!));
    }

    [Fact]
    public async Task AdministratorsListAndWithdrawConsentsByUserOrByClient()
    {
        var (clientId, secret, userName, tokens) = await SignedInAsync();
        var (otherUser, _, password) = await _api.CreateSignInUserAsync();
        var second = await _api.CodeFlowAsync(clientId, secret, otherUser, password, "openid useraccount");
        Assert.False(second.IsError, second.Raw);

        var byClient = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/consents?client={clientId}"));
        Assert.Equal(2, byClient.GetProperty("total").GetInt64());
        Assert.Equal(new[] { userName, otherUser }.Order(), byClient.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("userName").GetString()!).Order());
        var mine = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/consents?user={userName}&client={clientId}"));
        Assert.Equal(1, mine.GetProperty("total").GetInt64());
        Assert.Contains("useraccount", mine.GetProperty("items")[0].GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        var refused = await _api.SendAsync(HttpMethod.Delete, "/api/admin/consents");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        // A misspelt filter never widens a withdrawal: refused, nothing deleted.
        var misspelt = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/consents?user={userName}&clientId={clientId}");
        Assert.Equal(HttpStatusCode.BadRequest, misspelt.StatusCode);
        Assert.True((await _api.ReadAsync(misspelt)).GetProperty("errors").TryGetProperty("clientId", out _));
        var perUser = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{userName}/consents?client={clientId}");
        Assert.Equal(HttpStatusCode.BadRequest, perUser.StatusCode);
        Assert.Equal(2, (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/consents?client={clientId}"))).GetProperty("total").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, "/api/admin/consents?user=nobody-by-this-name")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/consents?client={clientId}")).StatusCode);
        Assert.Equal(0, (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/consents?client={clientId}"))).GetProperty("total").GetInt64());
        // Withdrawn consent disconnects the application: its refresh tokens and its access tokens end, for both users.
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)) == "invalid_grant"
            && TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, second.RefreshToken!)) == "invalid_grant",
            TimeSpan.FromSeconds(3), "ending refresh after the client's consents were withdrawn");
        await TestApi.EventuallyAsync(async () => await CallApiAsync(tokens.AccessToken!) == HttpStatusCode.Unauthorized
            && await CallApiAsync(second.AccessToken!) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(3),
            "refusing the application's access tokens after the consents were withdrawn");
        Assert.Empty((await ListAsync($"?client={clientId}&type=access_token&active=true")).GetProperty("items").EnumerateArray());
    }
}
