using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// A password changed by an administrator (set alone, or within a user's replacement) ends the
/// user's sign-in sessions, each end audited, and their refresh tokens, within seconds (the directory
/// changes it; authorize and token hear its event): whoever knew the old password may be signed in,
/// or hold a refresh token, somewhere.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PasswordChangeTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Theory]
    [InlineData("set")]
    [InlineData("replace")]
    public async Task AChangedPasswordEndsTheUsersSessionsAndRefreshTokens(string how)
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "App with refresh", grantTypes = new[] { "authorization_code", "refresh_token" }, redirectUris = new[] { Redirect },
            scopes = new[] { "openid", "useraccount" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = await _api.ReadAsync(created);
        var (clientId, secret) = (client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();

        // Signed in once (with consent), the browser's session skips the sign-in page afterwards.
        using var browser = new FormBrowser(system.EdgeUrl);
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        await browser.GetAsync(AuthorizeUrl(clientId, verifier));
        Assert.True(IsSignInPage(browser), browser.Html);
        await browser.SignInAsync(userName, password);
        var answer = browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!;
        var tokens = await _api.RedeemCodeAsync(clientId, secret, FormBrowser.RedirectParameters(answer, out _)["code"], verifier, Redirect);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.NotNull(tokens.RefreshToken);
        await browser.GetAsync(AuthorizeUrl(clientId, verifier));
        Assert.False(IsSignInPage(browser), "a signed-in browser should not be asked to sign in again");

        const string newPassword = "A-brand-new-passw0rd";
        if (how == "set")
        {
            Assert.Equal(HttpStatusCode.NoContent,
                (await _api.SendAsync(HttpMethod.Post, $"/api/admin/users/{userName}/password", new { password = newPassword })).StatusCode);
        }
        else
        {
            var user = JsonSerializer.Deserialize<Dictionary<string, object?>>(
                (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}"))).GetRawText())!;
            user["password"] = newPassword;
            Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{userName}", user)).StatusCode);
        }

        // The old session is over within moments: the same browser has to sign in again.
        await TestApi.EventuallyAsync(async () =>
        {
            await browser.GetAsync(AuthorizeUrl(clientId, verifier));
            return IsSignInPage(browser);
        }, TimeSpan.FromSeconds(3), "the session ending with the password change");

        // The refresh token stops working within seconds (the token service hears the change).
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)) == "invalid_grant",
            TimeSpan.FromSeconds(3), "refusing the refresh token after the password change");

        var events = await queue.ReadUntilAsync(e => IsEndedByPasswordChange(e, sysId), TimeSpan.FromSeconds(10));
        Assert.Contains(events, e => IsEndedByPasswordChange(e, sysId) && e.GetProperty("actor").GetProperty("userName").GetString() == "admin");
    }

    private static string AuthorizeUrl(string clientId, string verifier) =>
        $"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&state=s" +
        $"&scope={Uri.EscapeDataString("openid useraccount")}&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(verifier)}&code_challenge_method=S256";

    private static bool IsSignInPage(FormBrowser browser) => browser.Html.Contains("action=\"/oauth/login\"", StringComparison.Ordinal);

    private static bool IsEndedByPasswordChange(JsonElement e, string sysId) =>
        e.GetProperty("type").GetString() == "SessionEnded" && e.GetProperty("userSysId").GetString() == sysId
        && e.TryGetProperty("reason", out var reason) && reason.GetString() == "password changed";
}
