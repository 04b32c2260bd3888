using System.Net;
using System.Text.RegularExpressions;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The sign-in page does not tell real accounts from unknown names: a wrong password for a user and
/// any password for a name nobody has get the same page and status, cost the same database write (a
/// failure counted per typed name) and lock the same way. (Timing is not asserted: the equal work is.)
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class LoginEnumerationTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AWrongPasswordAndAnUnknownNameGetTheSamePageTheSameCountedFailureAndTheSameLock()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([Redirect], ["useraccount"]);
        var (userName, _, _) = await _api.CreateSignInUserAsync();
        var unknown = TestApi.Unique("nobody");
        var names = new KeyedHash(await system.ParameterAsync("user-name-hash-key"), KeyedHash.LoginFailurePurpose);
        await using var db = await system.DatabaseAsync("directorydb");

        async Task<(int Failures, bool Locked)> CountedAsync(string name)
        {
            await using var query = db.CreateCommand("SELECT failures, coalesce(locked_until > now(), false) FROM login_failure WHERE name_key = $1");
            query.Parameters.AddWithValue(names.Of(name.ToLowerInvariant()));
            await using var row = await query.ExecuteReaderAsync();
            return await row.ReadAsync() ? (row.GetInt32(0), row.GetBoolean(1)) : (0, false);
        }

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var real = await SignInAsync(clientId, userName);
            var nobody = await SignInAsync(clientId, unknown);

            Assert.Equal(HttpStatusCode.Unauthorized, real.Status);
            Assert.Equal(real, nobody);
            Assert.Equal((attempt, attempt == 5), await CountedAsync(userName));
            Assert.Equal((attempt, attempt == 5), await CountedAsync(unknown));
        }

        // Locked, both: still the one answer.
        Assert.Equal(await SignInAsync(clientId, userName), await SignInAsync(clientId, unknown));
    }

    /// <summary>One wrong password on a fresh sign-in page; the answer's status and alert text.</summary>
    private async Task<(HttpStatusCode Status, string Alert)> SignInAsync(string clientId, string userName)
    {
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&state=s&scope=useraccount");
        var response = await browser.SignInAsync(userName, "wrong-password-" + Guid.NewGuid().ToString("N"));
        var alert = Alert().Match(browser.Html);
        Assert.True(alert.Success, browser.Html);
        return (response.StatusCode, alert.Groups["text"].Value);
    }

    [GeneratedRegex("<p class=\"error\" role=\"alert\">(?<text>[^<]*)</p>")]
    private static partial Regex Alert();
}
