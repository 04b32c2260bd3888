using System.Net;
using System.Text.Json;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 20, signing algorithms per client: RS256, PS256 and ES256 each have keys of their own in the
/// JWKS; a client may have its access tokens and its ID tokens signed with any of them, and every
/// party that checks our tokens (the edge, introspection, the API behind, a relying party) accepts them.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SigningAlgorithmTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private async Task<(string ClientId, string Secret)> ClientAsync(object? accessTokenSigningAlg, object? idTokenSignedResponseAlg, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Signing algorithm client",
            grantTypes = new[] { "client_credentials", "password" },
            scopes = new[] { "openid", "useraccount" },
            defaultScopes = new[] { "useraccount" },
            accessTokenSigningAlg,
            idTokenSignedResponseAlg,
        });
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == expected, body.GetRawText());
        return expected == HttpStatusCode.Created ? (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!) : ("", "");
    }

    private async Task<IReadOnlyList<JsonWebKey>> JwksAsync() =>
        new JsonWebKeySet(await (await _api.Edge.GetAsync("/oauth/jwks")).Content.ReadAsStringAsync()).Keys.ToArray();

    [Fact]
    public async Task EachAlgorithmHasItsOwnPublishedKeys()
    {
        var keys = await JwksAsync();
        foreach (var alg in (string[])["RS256", "PS256", "ES256"])
        {
            Assert.Contains(keys, k => k.Alg == alg);
        }

        // RS256 and PS256 never share an RSA key.
        var modulusByAlg = keys.Where(k => k.Kty == "RSA").GroupBy(k => k.Alg).ToDictionary(g => g.Key, g => g.Select(k => k.N).ToHashSet());
        Assert.Empty(modulusByAlg["RS256"].Intersect(modulusByAlg["PS256"]));

        var metadata = await _api.ReadAsync(await _api.Edge.GetAsync("/.well-known/openid-configuration"));
        Assert.Equal(["RS256", "PS256", "ES256"], metadata.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
    }

    [Theory]
    [InlineData("PS256")]
    [InlineData("ES256")]
    public async Task AClientsAccessTokensAreSignedAsItRegisteredAndGoodEverywhere(string alg)
    {
        var (clientId, secret) = await ClientAsync(alg, null);
        var token = await _api.ClientCredentialsAsync(clientId, secret);
        Assert.False(token.IsError, token.Error);

        var jwt = new JsonWebToken(token.AccessToken);
        Assert.Equal(alg, jwt.Alg);
        Assert.Contains(await JwksAsync(), k => k.Kid == jwt.Kid && k.Alg == alg);
        // The edge admits it and the API behind checks it again.
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token.AccessToken)).StatusCode);
        var introspection = await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", token.AccessToken!)], clientId, secret));
        Assert.True(introspection.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task AClientsIdTokensAreSignedAsItRegisteredAndVerifyWithThePublishedKey()
    {
        var (clientId, secret) = await ClientAsync("PS256", "ES256");
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        var tokens = await _api.Edge.RequestPasswordTokenAsync(new PasswordTokenRequest
        {
            Address = _api.TokenEndpoint, ClientId = clientId, ClientSecret = secret, UserName = userName, Password = password, Scope = "openid useraccount",
        });
        Assert.False(tokens.IsError, tokens.Raw);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.IdentityToken, new TokenValidationParameters
        {
            ValidIssuer = system.Issuer,
            ValidAudience = clientId,
            IssuerSigningKeys = await JwksAsync(),
            ValidAlgorithms = ["ES256"],
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(sysId, ((JsonWebToken)result.SecurityToken).Subject);
        Assert.Equal("PS256", new JsonWebToken(tokens.AccessToken).Alg);
    }

    [Fact]
    public async Task AnAlgorithmNotOfferedIsRefusedByTheRegistry()
    {
        await ClientAsync("HS256", null, HttpStatusCode.BadRequest);
        await ClientAsync(null, "none", HttpStatusCode.BadRequest);
        var rotate = await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { algorithm = "HS256" });
        Assert.Equal(HttpStatusCode.BadRequest, rotate.StatusCode);
        Assert.True((await _api.ReadAsync(rotate)).GetProperty("errors").TryGetProperty("algorithm", out _));
    }
}
