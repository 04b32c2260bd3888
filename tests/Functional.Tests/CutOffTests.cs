using System.Net;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Withdrawing access takes effect within a second for every token that names the user or client,
/// whatever grant issued it: per-user and per-client cut-offs, not lists of token ids.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class CutOffTests(SystemFixture system)
{
    private static readonly TimeSpan WithinASecond = TimeSpan.FromSeconds(1);
    private readonly TestApi _api = new(system);

    private async Task<HttpStatusCode> CallAsync(string path, string token) => (await _api.SendAsync(HttpMethod.Get, path, token: token)).StatusCode;

    private async Task<bool> ActiveAsync(string token, string clientId, string secret) =>
        (await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", token)], clientId, secret))).GetProperty("active").GetBoolean();

    /// <summary>A client-credentials client running as a new user with these roles, and its token.</summary>
    private async Task<(string UserName, string ClientId, string Secret, string Token)> ActingAsUserAsync(string[] roles, string[] scopes)
    {
        var userName = TestApi.Unique("app");
        await _api.CreateUserAsync(userName, roles);
        var (clientId, secret) = await _api.CreateClientAsync(scopes, applicationUser: userName, canIntrospect: true);
        var token = await _api.ClientCredentialsAsync(clientId, secret);
        Assert.False(token.IsError, token.Error);
        return (userName, clientId, secret, token.AccessToken!);
    }

    [Fact]
    public async Task ADemotedAdministratorLosesTheAdminApisWithinASecond()
    {
        var (userName, _, _, token) = await ActingAsUserAsync(["admin"], ["admin.api"]);
        Assert.Equal(HttpStatusCode.OK, await CallAsync("/api/admin/scopes", token));

        var demote = await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{userName}", new { email = $"{userName}@example.com", roles = new[] { "itil" } });
        Assert.Equal(HttpStatusCode.OK, demote.StatusCode);

        await TestApi.EventuallyAsync(async () => await CallAsync("/api/admin/scopes", token) == HttpStatusCode.Unauthorized, WithinASecond,
            "refusing a demoted administrator's token");
    }

    [Fact]
    public async Task ADeactivatedUsersTokensAreRefusedByTheEdgeAndIntrospectionWithinASecond()
    {
        var (userName, clientId, secret, token) = await ActingAsUserAsync(["itil"], ["useraccount"]);
        Assert.Equal(HttpStatusCode.OK, await CallAsync("/api/now/table/incident", token));

        var deactivate = await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{userName}", new { email = $"{userName}@example.com", roles = new[] { "itil" }, active = false });
        Assert.Equal(HttpStatusCode.OK, deactivate.StatusCode);

        await TestApi.EventuallyAsync(async () => await CallAsync("/api/now/table/incident", token) == HttpStatusCode.Unauthorized, WithinASecond,
            "refusing a deactivated user's token");
        await TestApi.EventuallyAsync(async () => !await ActiveAsync(token, clientId, secret), WithinASecond, "introspection of a deactivated user's token");
    }

    [Fact]
    public async Task ADeletedUsersPasswordGrantTokenIsRefusedWithinASecond()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password"]);
        var response = await _api.PostFormAsync("/oauth/token",
            [new("grant_type", "password"), new("username", userName), new("password", password)], clientId, secret);
        var token = (await _api.ReadAsync(response)).GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await CallAsync("/api/now/table/incident", token));

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{userName}")).StatusCode);

        await TestApi.EventuallyAsync(async () => await CallAsync("/api/now/table/incident", token) == HttpStatusCode.Unauthorized, WithinASecond,
            "refusing a deleted user's token");
    }

    [Fact]
    public async Task AClientDeactivatedAndActivatedAgainDoesNotBringItsOldTokensBack()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var old = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var client = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        object Body(bool active) => new { name = client.GetProperty("name").GetString(), grantTypes = new[] { "client_credentials" }, scopes = new[] { "useraccount" }, active };

        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", Body(false))).StatusCode);
        await TestApi.EventuallyAsync(async () => await CallAsync("/api/now/table/incident", old) == HttpStatusCode.Unauthorized, WithinASecond,
            "refusing a deactivated client's token");
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", Body(true))).StatusCode);

        // Tokens issued in the second of the cut-off are refused too: ask for a new one after it.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        string? fresh = null;
        await TestApi.EventuallyAsync(async () => (fresh = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken) is not null,
            TimeSpan.FromSeconds(5), "a token for the reactivated client");
        await TestApi.EventuallyAsync(async () => await CallAsync("/api/now/table/incident", fresh!) == HttpStatusCode.OK, TimeSpan.FromSeconds(5),
            "the reactivated client's new token working");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("/api/now/table/incident", old));
    }
}
