using System.Net;
using System.Text.Json;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The audit query API (<c>GET /api/admin/audit/events</c>): the audit-log service follows the audit
/// stream into its own table, and answers an auditor's token only (the <c>auditor</c> role with
/// <c>admin.api</c>); an administrator without that role reads nothing, an auditor changes nothing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditLogTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AnAuditorFindsAClientsIssuedAndRefusedTokensByClientTypeAndOutcome()
    {
        var auditor = await AuditorTokenAsync();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        Assert.False((await _api.ClientCredentialsAsync(clientId, secret)).IsError);
        Assert.True((await _api.ClientCredentialsAsync(clientId, secret + "x")).IsError);

        JsonElement page = default;
        await TestApi.EventuallyAsync(async () =>
        {
            page = await EventsAsync(auditor, $"client={clientId}");
            return Items(page).Any(e => Type(e) == "TokenIssued") && Items(page).Any(e => Type(e) == "TokenRequestRefused");
        }, TimeSpan.FromSeconds(20), "the client's token events in the audit log");

        // Each names the client as the one acting or the one acted on.
        Assert.All(Items(page), e => Assert.True(e.GetProperty("clientId").GetString() == clientId
            || (e.GetProperty("data").TryGetProperty("clientId", out var subject) && subject.GetString() == clientId)));
        var issued = Items(page).First(e => Type(e) == "TokenIssued");
        Assert.Equal("token", issued.GetProperty("service").GetString());
        Assert.Equal("success", issued.GetProperty("outcome").GetString());
        Assert.Equal("client_credentials", issued.GetProperty("data").GetProperty("grantType").GetString());
        // Newest first, by the stream's own order.
        var positions = Items(page).Select(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.Equal(positions.OrderDescending(), positions);

        var refused = Items(await EventsAsync(auditor, $"client={clientId}&outcome=failure"));
        Assert.Equal("TokenRequestRefused", Type(Assert.Single(refused)));
        var byType = Items(await EventsAsync(auditor, $"client={clientId}&type=TokenIssued"));
        Assert.Equal("TokenIssued", Type(Assert.Single(byType)));
    }

    [Fact]
    public async Task PagesFollowTheCursorWithoutRepeatsAndAUserFilterFindsTheUsersOwnEvents()
    {
        var auditor = await AuditorTokenAsync();
        var user = TestApi.Unique("audited");
        await _api.CreateUserAsync(user, ["itil"]);
        foreach (var firstName in new[] { "Changed", "Again" })
        {
            var changed = await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{user}",
                new { userName = user, email = $"{user}@example.com", firstName, lastName = "User", roles = new[] { "itil" } });
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        await TestApi.EventuallyAsync(async () => Items(await EventsAsync(auditor, $"user={user}&limit=200")).Count() >= 3,
            TimeSpan.FromSeconds(20), "the user's three events in the audit log");

        var first = await EventsAsync(auditor, $"user={user}&limit=2");
        Assert.Equal(2, Items(first).Count());
        var next = first.GetProperty("next").GetString();
        Assert.False(string.IsNullOrEmpty(next));
        var second = await EventsAsync(auditor, $"user={user}&limit=2&after={Uri.EscapeDataString(next!)}");
        var all = Items(first).Concat(Items(second)).Select(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Contains(Items(second).Concat(Items(first)), e => Type(e) == "UserCreated");
    }

    [Fact]
    public async Task OnlyAnAuditorReadsTheLogAndAnAuditorAdministersNothing()
    {
        // The bootstrap client acts as the first administrator, who holds no auditor role.
        foreach (var path in new[] { "/api/admin/audit/events", "/api/admin/Audit/events", "/API/ADMIN/AUDIT/EVENTS" })
        {
            var asAdmin = await _api.SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.Forbidden, asAdmin.StatusCode);
            // Refused at the edge, by the auditors' rule (the service's own refusal would not say so).
            Assert.Contains("insufficient_scope", asAdmin.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Contains("the auditor role", await asAdmin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var auditor = await AuditorTokenAsync();
        var asAuditor = await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: auditor);
        Assert.Equal(HttpStatusCode.Forbidden, asAuditor.StatusCode);
        var anonymous = await _api.SendAsync(HttpMethod.Get, "/api/admin/audit/events", anonymous: true);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task AnEventCarryingANulCharacterIsStoredCleanedAndTheLogGoesOn()
    {
        // The authorization endpoint audits a refused request's client_id as sent, NUL included: anyone
        // can write one into the trail, and PostgreSQL's text and jsonb refuse the character.
        var marker = TestApi.Unique("nul");
        var refused = await _api.Edge.GetAsync($"/oauth/authorize?client_id={marker}%00x&request_uri={Uri.EscapeDataString("urn:ietf:params:oauth:request_uri:none")}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        Assert.False((await _api.ClientCredentialsAsync(clientId, secret)).IsError);

        // Stored with U+FFFD in its place, and the log goes on to what came after.
        var cleaned = marker + "\uFFFDx";
        List<JsonElement> events = [];
        await TestApi.EventuallyAsync(async () => (events = await _api.AuditEventsAsync($"client={Uri.EscapeDataString(cleaned)}")).Count > 0,
            TimeSpan.FromSeconds(20), "the refusal carrying the NUL in the audit log");
        var refusal = Assert.Single(events);
        Assert.Equal("AuthorizationRequestRefused", Type(refusal));
        Assert.Equal(cleaned, refusal.GetProperty("data").GetProperty("clientId").GetString());
        await TestApi.EventuallyAsync(async () => (await _api.AuditEventsAsync($"client={clientId}")).Any(e => Type(e) == "TokenIssued"),
            TimeSpan.FromSeconds(20), "the token issued after it in the audit log");
    }

    [Theory]
    [InlineData("outcome=maybe", "outcome")]
    [InlineData("after=not-a-cursor", "after")]
    [InlineData("type=NoSuchEvent", "type")]
    public async Task BadFiltersAreAProblemNamingTheField(string query, string field)
    {
        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/audit/events?" + query, token: await AuditorTokenAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await _api.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    private static string Type(JsonElement e) => e.GetProperty("type").GetString()!;

    private static IEnumerable<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray();

    private async Task<JsonElement> EventsAsync(string token, string query)
    {
        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/audit/events?" + query, token: token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await _api.ReadAsync(response);
    }

    private Task<string> AuditorTokenAsync() => _api.AuditorTokenAsync();
}
