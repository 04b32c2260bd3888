using System.Net;
using System.Net.Http.Headers;

namespace OAuthAspire.Functional.Tests;

/// <summary>Every answer of the public origin carries its security headers, whichever service made it.</summary>
[Collection(SystemCollection.Name)]
public sealed class SecurityHeaderTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task EveryAnswerIsNeverSniffedAndLeaksNoReferrer()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        using var noRedirects = system.EdgeFrom("127.0.0.1", followRedirects: false);
        var answers = new[]
        {
            await system.Edge.GetAsync("/.well-known/openid-configuration"),
            await system.Edge.GetAsync("/oauth/jwks"),
            await _api.PostFormAsync("/oauth/token", [new("grant_type", "client_credentials")], clientId, secret),
            await _api.PostFormAsync("/oauth/token", [new("grant_type", "client_credentials")], clientId, "wrong"),
            await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token),
            await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", anonymous: true),
            await _api.SendAsync(HttpMethod.Get, "/api/admin/clients"),
            await noRedirects.GetAsync("/oauth/authorize?client_id=nobody"),
            await system.Edge.GetAsync("/no/such/route"),
        };
        foreach (var answer in answers)
        {
            var what = $"{answer.RequestMessage!.Method} {answer.RequestMessage.RequestUri!.PathAndQuery} ({(int)answer.StatusCode})";
            Assert.True(answer.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) && nosniff.Single() == "nosniff", what);
            Assert.True(answer.Headers.TryGetValues("Referrer-Policy", out var referrer) && referrer.Single() == "no-referrer", what);
            // The issuer here is http://localhost in development: no HSTS (see TransportSecurityTests for https).
            Assert.False(answer.Headers.Contains("Strict-Transport-Security"), what);
        }
    }

    [Fact]
    public async Task TokenAndUserinfoAnswersAreNeverStored()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (clientId, secret) = await _api.CreateWebClientAsync(["https://app.example.test/callback"], ["openid", "profile"]);
        var signedIn = await _api.CodeFlowAsync(clientId, secret, userName, password, "openid profile");
        Assert.False(signedIn.IsError, signedIn.Error);
        Assert.Contains("no-store", signedIn.HttpResponse!.Headers.CacheControl!.ToString());

        using var userinfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        userinfo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signedIn.AccessToken);
        using var answer = await system.Edge.SendAsync(userinfo);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(answer.Headers.CacheControl!.NoStore);

        var refused = await _api.PostFormAsync("/oauth/token", [new("grant_type", "client_credentials")], clientId, "wrong");
        Assert.True(refused.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task HtmlPagesForbidFramingAndEverythingTheyDoNotNeed()
    {
        using var noRedirects = system.EdgeFrom("127.0.0.1", followRedirects: false);
        using var page = await noRedirects.GetAsync("/oauth/authorize?response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fx.example%2F");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'none'", csp);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task AnApiNeverSeesTheIssuersCookiesAndCannotSetCookiesOrRunScriptOnTheIssuersOrigin()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/sample/hostile");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // What a browser signed in to the issuer would send along.
        request.Headers.Add("Cookie", "oauthaspire_session=the-users-session; .AspNetCore.Antiforgery.x=y");

        var answer = await system.Edge.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("data-cookies=\"\"", await answer.Content.ReadAsStringAsync());
        foreach (var header in new[] { "Set-Cookie", "Service-Worker-Allowed", "Clear-Site-Data" })
        {
            Assert.False(answer.Headers.Contains(header), header);
        }

        Assert.Contains("sandbox", answer.Headers.GetValues("Content-Security-Policy"));
        // Every API answer is sandboxed, not just the hostile one.
        var api = await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token);
        Assert.Contains("sandbox", api.Headers.GetValues("Content-Security-Policy"));
    }

    [Fact]
    public async Task TheApisOwnHostNameServesTheApisAndNothingOfTheIssuers()
    {
        var token = await _api.TokenAsync(["useraccount"]);
        async Task<HttpStatusCode> OnApiHostAsync(string path, bool withToken = true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = $"apis.localhost:{system.EdgeUrl.Port}";
            if (withToken)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await system.Edge.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await OnApiHostAsync("/api/now/table/incident"));
        Assert.Equal(HttpStatusCode.NotFound, await OnApiHostAsync("/oauth/authorize?client_id=x", withToken: false));
        Assert.Equal(HttpStatusCode.NotFound, await OnApiHostAsync("/.well-known/openid-configuration", withToken: false));
        Assert.Equal(HttpStatusCode.NotFound, await OnApiHostAsync("/api/admin/clients"));
        // Until every caller has moved (Edge:ApiOnIssuerHost), the issuer's host serves the APIs too.
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode);
    }
}
