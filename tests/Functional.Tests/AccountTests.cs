using System.Net;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The self-service account pages (<c>/account</c>, served by authorize on the sign-in session, no
/// admin role needed): the applications a user connected, with their access and last use;
/// disconnecting one (its consent withdrawn, its tokens for that user refused within seconds); and
/// changing one's own password with the current one.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AccountTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task WithoutASessionTheAccountPageAsksToSignInAndComesBackAfterwards()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);

        await browser.GetAsync("/account");
        Assert.Equal("/oauth/login", browser.Last!.RequestMessage!.RequestUri!.AbsolutePath);
        await browser.SignInAsync(userName, password);

        Assert.Equal("/account", browser.Last!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("Your account", browser.Html, StringComparison.Ordinal);
        Assert.Contains(userName, browser.Html, StringComparison.Ordinal);
        Assert.Contains("You have not connected any application", browser.Html, StringComparison.Ordinal);
        Assert.Equal("DENY", browser.Last.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("default-src 'none'", browser.Last.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUserSeesAConnectedAppWithItsLastUseAndDisconnectingItEndsItsTokens()
    {
        var name = TestApi.Unique("Notes");
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name, grantTypes = new[] { "authorization_code", "refresh_token" }, redirectUris = new[] { Redirect }, scopes = new[] { "openid", "useraccount" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = await _api.ReadAsync(created);
        var (clientId, secret) = (client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid useraccount", verifier));
        await browser.SignInAsync(userName, password);
        var answer = await browser.ConsentAsync(true);
        var tokens = await _api.RedeemCodeAsync(clientId, secret, FormBrowser.RedirectParameters(answer, out _)["code"], verifier, Redirect);
        Assert.False(tokens.IsError, tokens.Raw);

        await browser.GetAsync("/account");
        Assert.Contains(name, browser.Html, StringComparison.Ordinal);
        Assert.Contains("Act as you on every API you can use", browser.Html, StringComparison.Ordinal);
        // Its last use: when it last got a token for this user.
        Assert.Matches(@"<td class=""last-used""><time datetime=""\d{4}-\d\d-\d\dT", browser.Html);

        // A disconnection needs this site's form: a forged post changes nothing.
        using (var forged = new HttpClient { BaseAddress = system.EdgeUrl })
        {
            var refused = await forged.PostAsync("/account/disconnect", new FormUrlEncodedContent([new("client_id", clientId)]));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        await browser.GetAsync($"/account?disconnect={Uri.EscapeDataString(clientId)}");
        Assert.Contains($"Disconnect {name}?", browser.Html, StringComparison.Ordinal);
        await browser.SubmitAsync();
        Assert.Contains($"{name} is disconnected", browser.Html, StringComparison.Ordinal);
        Assert.Contains("You have not connected any application", browser.Html, StringComparison.Ordinal);

        var consents = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}/consents"));
        Assert.Equal(0, consents.GetArrayLength());
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RefreshAsync(clientId, secret, tokens.RefreshToken!)) == "invalid_grant",
            TimeSpan.FromSeconds(5), "refusing the disconnected app's refresh token");
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: tokens.AccessToken)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(5), "refusing the disconnected app's access token at the edge");
        List<System.Text.Json.JsonElement> withdrawn = [];
        await TestApi.EventuallyAsync(async () => (withdrawn = await _api.AuditEventsAsync($"user={userName}&type=ConsentRevoked")).Count > 0,
            TimeSpan.FromSeconds(10), "the withdrawal in the audit log");
        Assert.Equal(userName, Assert.Single(withdrawn).GetProperty("userName").GetString());
    }

    [Fact]
    public async Task AUserChangesTheirPasswordOnlyWithTheCurrentOneAndWithinTheRules()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync("/account/password");
        await browser.SignInAsync(userName, password);
        Assert.Contains("Change your password", browser.Html, StringComparison.Ordinal);
        const string next = "A-new-and-long-passw0rd";

        var wrong = await browser.SubmitAsync(("current_password", "not-my-password"), ("new_password", next), ("repeat_password", next));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("Your current password is not correct", browser.Html, StringComparison.Ordinal);
        var shortOne = await browser.SubmitAsync(("current_password", password), ("new_password", "short"), ("repeat_password", "short"));
        Assert.Equal(HttpStatusCode.BadRequest, shortOne.StatusCode);
        Assert.Contains("must be", browser.Html, StringComparison.Ordinal);
        var mismatch = await browser.SubmitAsync(("current_password", password), ("new_password", next), ("repeat_password", next + "x"));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Contains("do not match", browser.Html, StringComparison.Ordinal);

        var changed = await browser.SubmitAsync(("current_password", password), ("new_password", next), ("repeat_password", next));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("Your password is changed", browser.Html, StringComparison.Ordinal);

        // The old password no longer signs in; the new one does.
        using var later = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await later.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Unauthorized, (await later.SignInAsync(userName, password)).StatusCode);
        await later.SignInAsync(userName, next);
        Assert.Contains("Your account", later.Html, StringComparison.Ordinal);

        // Audited as the user's own change.
        List<System.Text.Json.JsonElement> updates = [];
        await TestApi.EventuallyAsync(async () => (updates = await _api.AuditEventsAsync($"user={userName}&type=UserUpdated")).Count > 0,
            TimeSpan.FromSeconds(10), "the password change in the audit log");
        var update = Assert.Single(updates);
        List<System.Text.Json.JsonElement> failures = [];
        await TestApi.EventuallyAsync(async () => (failures = await _api.AuditEventsAsync($"user={userName}&type=LoginFailed")).Count >= 2,
            TimeSpan.FromSeconds(10), "the wrong current password in the audit log");
        // The wrong current password, and the old password tried at the sign-in page after the change.
        Assert.Single(failures, f => f.GetProperty("reason").GetString()!.Contains("account page", StringComparison.Ordinal));
        Assert.Single(failures, f => f.GetProperty("reason").GetString() == "InvalidCredentials");
        Assert.True(update.GetProperty("data").GetProperty("passwordChanged").GetBoolean());
        Assert.Equal(userName, update.GetProperty("userName").GetString());
    }
}
