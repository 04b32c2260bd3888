using System.Net;
using System.Text.Json;
using OAuthAspire.Testing;

namespace OAuthAspire.Production.Tests;

/// <summary>
/// What holds only when deployed (HTTPS issuer, Production): HSTS on every answer of the public
/// origin and a Secure session cookie, observed on the running system, not computed from settings.
/// </summary>
[Collection(ProductionCollection.Name)]
public sealed class TransportSecurityTests(ProductionSystem system)
{
    private const string Hsts = "max-age=31536000; includeSubDomains";
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task TheIssuerIsHttpsAndEveryAnswerCarriesHsts()
    {
        Assert.Equal("https", system.EdgeUrl.Scheme);
        var metadata = await system.Edge.GetAsync("/.well-known/openid-configuration");
        var issuer = JsonDocument.Parse(await metadata.Content.ReadAsStringAsync()).RootElement.GetProperty("issuer").GetString();
        Assert.Equal(system.Issuer, issuer);
        Assert.StartsWith("https://", issuer);

        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var answers = new[]
        {
            metadata,
            await system.Edge.GetAsync("/oauth/jwks"),
            await _api.PostFormAsync("/oauth/token", [new("grant_type", "client_credentials")], clientId, "wrong"),
            await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token),
            await _api.SendAsync(HttpMethod.Get, "/api/admin/clients"),
            await system.Edge.GetAsync("/oauth/authorize?client_id=nobody"),
            await system.Edge.GetAsync("/no/such/route"),
        };
        foreach (var answer in answers)
        {
            var what = $"{answer.RequestMessage!.RequestUri!.PathAndQuery} ({(int)answer.StatusCode})";
            Assert.True(answer.Headers.TryGetValues("Strict-Transport-Security", out var hsts) && hsts.Single() == Hsts, what);
        }
    }

    [Fact]
    public async Task SelfRegistrationIsOffUnlessAnAdministratorTurnsItOn()
    {
        var metadata = System.Text.Json.JsonDocument.Parse(await system.Edge.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.False(metadata.TryGetProperty("registration_endpoint", out _));
        using var register = await system.Edge.PostAsync("/oauth/register",
            new StringContent("""{"redirect_uris":["https://app.example.com/cb"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, register.StatusCode);
    }

    [Fact]
    public async Task TheSessionCookieIsSecureHttpOnlyAndLax()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([Redirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&state=s" +
            $"&scope=useraccount&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(new string('v', 43))}&code_challenge_method=S256");

        await browser.SignInAsync(userName, password);

        var header = browser.SetCookieHeaders.Single(h => h.StartsWith("oauthaspire_session=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("; secure", header);
        Assert.Contains("httponly", header);
        Assert.Contains("samesite=lax", header);
        Assert.True(browser.Cookies.GetAllCookies().Single(c => c.Name == "oauthaspire_session").Secure);
    }

    [Fact]
    public async Task TheEdgeAnswersNothingButTlsOnTheIssuersPort()
    {
        // A plain-http request to the https port is not served.
        using var plain = new HttpClient();
        var url = new UriBuilder(system.EdgeUrl) { Scheme = "http" }.Uri;
        var answered = false;
        try
        {
            using var response = await plain.GetAsync(new Uri(url, "/.well-known/openid-configuration"));
            answered = response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
        }

        Assert.False(answered);
    }
}
