using System.Net;
using System.Text.Json;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// A full scenario, then every log line (console and structured) and every exported trace and log
/// record of every service is searched for the secrets, passwords, codes and tokens it used.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SecretsInTelemetryTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task NoSecretPasswordCodeOrTokenIsEverLoggedOrTraced()
    {
        var secrets = new List<string> { await _api.AdminTokenAsync() };
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        secrets.Add(password);
        var (web, webSecret) = await _api.CreateWebClientAsync([Redirect], ["openid", "profile"], grantTypes: ["authorization_code", "refresh_token", "password"]);
        secrets.Add(webSecret!);

        // Code flow, redeemed by hand to know the code and the verifier.
        var (code, verifier) = await _api.AuthorizationCodeAsync(web, userName, password, "openid profile", Redirect);
        secrets.AddRange([code, verifier]);
        var redeemed = await Tokens(await _api.PostFormAsync("/oauth/token",
            [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", Redirect), new("code_verifier", verifier)], web, webSecret));
        secrets.AddRange(redeemed);
        // A replay of the code (refused, and it revokes): the code goes through the error paths too.
        await _api.PostFormAsync("/oauth/token", [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", Redirect), new("code_verifier", verifier)], web, webSecret);

        var (userName2, _, password2) = await _api.CreateSignInUserAsync();
        secrets.Add(password2);
        var signedIn = await _api.CodeFlowAsync(web, webSecret, userName2, password2, "openid profile", Redirect);
        secrets.AddRange([signedIn.AccessToken!, signedIn.RefreshToken!, signedIn.IdentityToken!]);
        var refreshed = await _api.RefreshAsync(web, webSecret, signedIn.RefreshToken!);
        secrets.AddRange([refreshed.AccessToken!, refreshed.RefreshToken!]);
        await _api.RefreshAsync(web, webSecret, signedIn.RefreshToken!); // a rotated one, again

        secrets.AddRange(await Tokens(await _api.PostFormAsync("/oauth/token",
            [new("grant_type", "password"), new("username", userName2), new("password", password2)], web, webSecret)));
        const string wrongPassword = "Wrong-but-close-password-7";
        secrets.Add(wrongPassword);
        await _api.PostFormAsync("/oauth/token", [new("grant_type", "password"), new("username", userName2), new("password", wrongPassword)], web, webSecret);

        var (backend, backendSecret) = await _api.CreateClientAsync(["useraccount"]);
        secrets.Add(backendSecret);
        var backendToken = (await _api.ClientCredentialsAsync(backend, backendSecret)).AccessToken!;
        secrets.Add(backendToken);
        const string wrongSecret = "wrong-client-secret-0123456789abcdef";
        secrets.Add(wrongSecret);
        await _api.ClientCredentialsAsync(backend, wrongSecret);
        await _api.PostFormAsync("/oauth/introspect", [new("token", backendToken)], backend, backendSecret);
        await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: backendToken);
        await _api.PostFormAsync("/oauth/revoke", [new("token", backendToken)], backend, backendSecret);
        await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: backendToken); // revoked: refused

        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo"))
        {
            userinfo.Headers.Authorization = new("Bearer", refreshed.AccessToken);
            await system.Edge.SendAsync(userinfo);
        }

        // The id token travels in a query string here: it must be redacted from every trace.
        using (var noRedirects = system.EdgeFrom("127.0.0.1", followRedirects: false))
        {
            await noRedirects.GetAsync($"/oauth/logout?id_token_hint={signedIn.IdentityToken}&state=bye");
        }

        var rotated = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Post, $"/api/admin/clients/{backend}/secret"));
        secrets.Add(rotated.GetProperty("clientSecret").GetString()!);

        // A token's signature alone is as good as the token for a search.
        secrets.AddRange(secrets.Where(s => s.Count(c => c == '.') == 2).Select(s => s.Split('.')[2]).ToArray());

        // Wait for the exporters (0.5 s batches) to have sent the logout's span.
        await TestApi.EventuallyAsync(() => Task.FromResult(system.Telemetry.Find(["/oauth/logout"]).Count == 1), TimeSpan.FromSeconds(15),
            "the logout request's trace reaching the receiver");
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.True(system.Telemetry.Find(["/oauth/token", "TokenIssued"]).Count == 2, "the scan would not see what it looks for");
        var traced = system.Telemetry.Find(secrets);
        Assert.True(traced.Count == 0, $"{traced.Count} secret(s) found in exported traces or logs, e.g. one {traced.FirstOrDefault()?.Length} characters long");
        var logs = system.Logs.Lines.Select(l => l.Line).ToArray();
        Assert.NotEmpty(logs);
        var logged = secrets.Where(s => logs.Any(line => line.Contains(s, StringComparison.Ordinal))).ToArray();
        Assert.True(logged.Length == 0, $"{logged.Length} secret(s) found in the logs");
    }

    private async Task<string[]> Tokens(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await _api.ReadAsync(response);
        return new[] { "access_token", "refresh_token", "id_token" }
            .Where(name => json.TryGetProperty(name, out _)).Select(name => json.GetProperty(name).GetString()!).ToArray();
    }
}
