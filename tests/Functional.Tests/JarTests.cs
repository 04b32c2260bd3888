using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 20, signed request objects (RFC 9101, JAR) through the edge: a request object signed with a
/// key the client registered carries the whole authorization request, at the authorization endpoint
/// and when pushed (RFC 9126); a tampered, replayed or misaddressed one gets an error; a client may
/// insist on them.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class JarTests(SystemFixture system)
{
    private const string RedirectUri = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "jar-1" };

    private async Task<(string ClientId, string Secret)> ClientAsync(bool requireSigned = false)
    {
        var parameters = _key.Rsa.ExportParameters(false);
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "JAR web app",
            grantTypes = new[] { "authorization_code" },
            redirectUris = new[] { RedirectUri },
            scopes = new[] { "openid", "useraccount" },
            requireSignedRequestObject = requireSigned,
            jwtVerifier = new
            {
                keys = new[]
                {
                    new { kid = _key.KeyId, alg = "RS256", jwk = new { kty = "RSA", n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) } },
                },
            },
        });
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
    }

    private string Sign(string clientId, string verifier, Action<Dictionary<string, object>>? change = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = clientId, ["aud"] = system.Issuer, ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
            ["nbf"] = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds(), ["jti"] = Guid.NewGuid().ToString("N"),
            ["client_id"] = clientId, ["response_type"] = "code", ["redirect_uri"] = RedirectUri, ["scope"] = "openid useraccount",
            ["state"] = "signed-state", ["code_challenge"] = Pkce.ChallengeOf(verifier), ["code_challenge_method"] = "S256",
        };
        change?.Invoke(claims);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = RequestObject.MediaType,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    private static string Verifier() => Protocol.Tokens.RefreshTokens.New() + "-v";

    private static string AuthorizeUrl(string clientId, string requestObject, string extra = "") =>
        $"/oauth/authorize?client_id={Uri.EscapeDataString(clientId)}&request={requestObject}{extra}";

    private static async Task<Dictionary<string, string>> SignInAsync(FormBrowser browser, string userName, string password)
    {
        await browser.SignInAsync(userName, password);
        var response = browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!;
        return FormBrowser.RedirectParameters(response, out _);
    }

    [Fact]
    public async Task ASignedRequestObjectAloneCarriesTheRequestAndIsGoodOnce()
    {
        var (clientId, secret) = await ClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var verifier = Verifier();
        var requestObject = Sign(clientId, verifier);

        // Parameters beside the object count for nothing (RFC 9101 §6.3).
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(AuthorizeUrl(clientId, requestObject, "&scope=admin.api&state=forged&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb"));
        var redirect = await SignInAsync(browser, userName, password);
        Assert.Equal("signed-state", redirect["state"]);
        var tokens = await _api.RedeemCodeAsync(clientId, secret, redirect["code"], verifier, RedirectUri);
        Assert.False(tokens.IsError, tokens.Error);
        Assert.Equal("openid useraccount", tokens.Scope);

        // Its jti is spent: the same object again is refused.
        using var replay = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        Assert.Equal(HttpStatusCode.BadRequest, (await replay.GetAsync(AuthorizeUrl(clientId, requestObject))).StatusCode);
        Assert.Contains("used before", replay.Html);
    }

    [Fact]
    public async Task ATamperedMisaddressedOrForeignObjectGetsAnErrorPage()
    {
        var (clientId, _) = await ClientAsync();
        var (otherId, _) = await ClientAsync();
        var parts = Sign(clientId, Verifier()).Split('.');
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("openid useraccount", "openid admin.api"))}.{parts[2]}";

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        foreach (var (client, requestObject) in new[]
        {
            (clientId, tampered),
            (clientId, Sign(clientId, Verifier(), c => c["aud"] = "https://elsewhere.example.com")),
            (clientId, Sign(clientId, Verifier(), c => c["exp"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds())),
            // Another client presenting this client's object (even holding the same key): iss names the first.
            (otherId, Sign(clientId, Verifier())),
        })
        {
            var answer = await browser.GetAsync(AuthorizeUrl(client, requestObject));
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }
    }

    [Fact]
    public async Task ARequestObjectIsPushedAndAClientThatMustSignIsRefusedPlainRequests()
    {
        var (clientId, secret) = await ClientAsync(requireSigned: true);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var verifier = Verifier();

        var pushed = await _api.PostFormAsync("/oauth/par", [new("request", Sign(clientId, verifier))], clientId, secret);
        var body = await _api.ReadAsync(pushed);
        Assert.True(pushed.StatusCode == HttpStatusCode.Created, body.GetRawText());
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync($"/oauth/authorize?client_id={clientId}&request_uri={Uri.EscapeDataString(body.GetProperty("request_uri").GetString()!)}");
        Assert.Equal("signed-state", (await SignInAsync(browser, userName, password))["state"]);

        // Unsigned, pushed or not, and a bad object: refused.
        KeyValuePair<string, string>[] plain = [new("response_type", "code"), new("redirect_uri", RedirectUri), new("scope", "openid"), new("state", "s"),
            new("code_challenge", Pkce.ChallengeOf(verifier)), new("code_challenge_method", "S256")];
        Assert.Equal("invalid_request", (await _api.ReadAsync(await _api.PostFormAsync("/oauth/par", plain, clientId, secret))).GetProperty("error").GetString());
        var badObject = await _api.PostFormAsync("/oauth/par", [new("request", Sign(clientId, verifier, c => c["iss"] = "someone-else"))], clientId, secret);
        Assert.Equal("invalid_request_object", (await _api.ReadAsync(badObject)).GetProperty("error").GetString());
        var direct = await browser.GetAsync("/oauth/authorize?" + string.Join('&', plain.Append(new("client_id", clientId)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
        Assert.Equal("invalid_request", FormBrowser.RedirectParameters(direct, out _)["error"]);

        var metadata = await _api.ReadAsync(await system.Edge.GetAsync("/.well-known/openid-configuration"));
        Assert.True(metadata.GetProperty("request_parameter_supported").GetBoolean());
        Assert.Contains("PS256", metadata.GetProperty("request_object_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
    }
}
