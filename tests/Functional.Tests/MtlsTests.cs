using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 19, mutual TLS (RFC 8705) through the edge's mutual-TLS listener, with certificates made in
/// the test: client authentication by a CA-issued certificate (<c>tls_client_auth</c>) and by a
/// registered self-signed one (<c>self_signed_tls_client_auth</c>), certificate-bound access tokens
/// (<c>cnf.x5t#S256</c>) checked by the edge on <c>/api/**</c> and by userinfo, and the RFC 9440
/// <c>Client-Cert</c> header believed only from a trusted proxy.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class MtlsTests(SystemFixture system)
{
    private const string Api = "/api/now/identity";
    private readonly TestApi _api = new(system);

    private Uri MtlsUrl => system.App.GetEndpoint("edge", "mtls");

    private HttpClient MtlsClient(X509Certificate2? certificate) => system.MtlsClient(certificate);

    /// <summary>Registers a client; the admin API's answer (with the secret it shows once).</summary>
    private async Task<JsonElement> RegisterAsync(object registration)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", registration);
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        return body;
    }

    private async Task<string> ClientAsync(object registration) => (await RegisterAsync(registration)).GetProperty("clientId").GetString()!;

    private static Task<HttpResponseMessage> ClientCredentialsAsync(HttpClient client, string clientId) =>
        client.PostAsync("/oauth/token", new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId)]));

    private async Task<JsonElement> IssuedAsync(HttpResponseMessage response)
    {
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
        return body;
    }

    private async Task<string> RefusedAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body.GetRawText()}");
        return body.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task MetadataPointsCertificateClientsToTheMutualTlsListener()
    {
        var metadata = await _api.ReadAsync(await system.Edge.GetAsync("/.well-known/openid-configuration"));
        var origin = MtlsUrl.GetLeftPart(UriPartial.Authority);

        Assert.Equal(origin + "/oauth/token", metadata.GetProperty("mtls_endpoint_aliases").GetProperty("token_endpoint").GetString());
        Assert.Equal(origin + "/oauth/introspect", metadata.GetProperty("mtls_endpoint_aliases").GetProperty("introspection_endpoint").GetString());
        Assert.True(metadata.GetProperty("tls_client_certificate_bound_access_tokens").GetBoolean());
        var methods = metadata.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()).ToArray();
        Assert.Contains(MtlsProtocol.TlsClientAuth, methods);
        Assert.Contains(MtlsProtocol.SelfSignedTlsClientAuth, methods);

        // The listener asks for a certificate but serves callers without one too.
        using var anonymous = MtlsClient(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/.well-known/oauth-authorization-server")).StatusCode);
    }

    [Fact]
    public async Task ACertificateFromTheTrustedAuthorityAuthenticatesTlsClientAuth()
    {
        var subject = $"CN=mtls-{Guid.NewGuid():N}, O=Example";
        var clientId = await ClientAsync(new
        {
            name = "tls_client_auth back-end",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientAuthSubjectDn = subject,
        });

        using var genuine = MtlsClient(TestClientCertificates.Issued(subject));
        var issued = await IssuedAsync(await ClientCredentialsAsync(genuine, clientId));
        Assert.Equal("Bearer", issued.GetProperty("token_type").GetString());

        // The same names from an authority nobody trusts, and no certificate at all, authenticate nothing.
        using var rogue = MtlsClient(TestClientCertificates.FromUntrustedAuthority(subject));
        Assert.Equal("invalid_client", await RefusedAsync(await ClientCredentialsAsync(rogue, clientId), HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_client", await RefusedAsync(await ClientCredentialsAsync(system.Edge, clientId), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task OnlyTheRegisteredSelfSignedCertificateAuthenticatesItsClient()
    {
        var registered = TestClientCertificates.SelfSigned();
        var clientId = await ClientAsync(new
        {
            name = "self_signed_tls_client_auth back-end",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientCertificates = new[] { registered.ExportCertificatePem() },
        });

        using var owner = MtlsClient(registered);
        await IssuedAsync(await ClientCredentialsAsync(owner, clientId));
        using var other = MtlsClient(TestClientCertificates.SelfSigned());
        Assert.Equal("invalid_client", await RefusedAsync(await ClientCredentialsAsync(other, clientId), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task ACertificateBoundTokenWorksOnlyOverAConnectionWithThatCertificate()
    {
        var certificate = TestClientCertificates.SelfSigned();
        var clientId = await ClientAsync(new
        {
            name = "certificate-bound back-end",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientCertificates = new[] { TestClientCertificates.Base64(certificate) },
            tlsClientCertificateBoundAccessTokens = true,
        });

        using var owner = MtlsClient(certificate);
        var token = (await IssuedAsync(await ClientCredentialsAsync(owner, clientId))).GetProperty("access_token").GetString()!;
        var cnf = new JsonWebToken(token).GetPayloadValue<JsonElement>("cnf");
        Assert.Equal(MtlsProtocol.Thumbprint(certificate), cnf.GetProperty("x5t#S256").GetString());

        // The API behind the edge hears the binding was checked.
        using var call = new HttpRequestMessage(HttpMethod.Get, Api) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
        var answer = await owner.SendAsync(call);
        var identity = await _api.ReadAsync(answer);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, identity.GetRawText());
        Assert.Equal("mtls", identity.GetProperty("tokenBinding").GetString());

        // A stolen token: over another certificate, or none, it is refused as RFC 8705 §3 says.
        using var thief = MtlsClient(TestClientCertificates.SelfSigned());
        foreach (var client in new[] { thief, system.Edge })
        {
            using var stolen = new HttpRequestMessage(HttpMethod.Get, Api) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
            var refused = await client.SendAsync(stolen);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString());
        }

        // Introspection tells a resource server what the token is bound to.
        var (inspector, inspectorSecret) = await _api.CreateClientAsync(["useraccount"], canIntrospect: true);
        var introspection = await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", token)], inspector, inspectorSecret));
        Assert.Equal(MtlsProtocol.Thumbprint(certificate), introspection.GetProperty("cnf").GetProperty("x5t#S256").GetString());

        // Without its certificate the client cannot even authenticate.
        Assert.Equal("invalid_client", await RefusedAsync(await ClientCredentialsAsync(system.Edge, clientId), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task AClientAuthenticatedBySecretGetsTokensBoundToTheCertificateItPresents()
    {
        var registration = await RegisterAsync(new
        {
            name = "certificate-bound, secret-authenticated",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientCertificateBoundAccessTokens = true,
        });
        var (clientId, secret) = (registration.GetProperty("clientId").GetString()!, registration.GetProperty("clientSecret").GetString()!);

        var certificate = TestClientCertificates.SelfSigned();
        using var owner = MtlsClient(certificate);
        var issued = await IssuedAsync(await owner.SendAsync(TestApi.FormRequest("/oauth/token", [new("grant_type", "client_credentials")], clientId, secret)));
        var cnf = new JsonWebToken(issued.GetProperty("access_token").GetString()!).GetPayloadValue<JsonElement>("cnf");
        Assert.Equal(MtlsProtocol.Thumbprint(certificate), cnf.GetProperty("x5t#S256").GetString());

        // No certificate, nothing to bind to: refused rather than issued unbound.
        var unbound = await system.Edge.SendAsync(TestApi.FormRequest("/oauth/token", [new("grant_type", "client_credentials")], clientId, secret));
        Assert.Equal("invalid_request", await RefusedAsync(unbound, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task TheClientCertHeaderCountsOnlyFromATrustedProxy()
    {
        var certificate = TestClientCertificates.SelfSigned();
        var clientId = await ClientAsync(new
        {
            name = "behind a TLS-terminating proxy",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientCertificates = new[] { TestClientCertificates.Base64(certificate) },
        });

        async Task<HttpResponseMessage> FromAsync(string address)
        {
            using var edge = system.EdgeFrom(address);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId)]),
            };
            request.Headers.Add(ClientCertHeader.Name, ClientCertHeader.Format(certificate));
            return await edge.SendAsync(request);
        }

        // The fixture trusts 127.0.0.50 as a proxy; 127.0.0.51 is any caller writing the header itself; 127.0.0.52
        // is a proxy trusted for X-Forwarded-For only (Edge:TrustedProxies), whose Client-Cert is believed no more.
        await IssuedAsync(await FromAsync("127.0.0.50"));
        Assert.Equal("invalid_client", await RefusedAsync(await FromAsync("127.0.0.51"), HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_client", await RefusedAsync(await FromAsync("127.0.0.52"), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task APublicClientsTokensAndRefreshTokensAreBoundToItsCertificate()
    {
        const string redirectUri = "https://app.example.test/callback";
        var registration = await RegisterAsync(new
        {
            name = "certificate-bound native app",
            @public = true,
            grantTypes = new[] { "authorization_code", "refresh_token" },
            redirectUris = new[] { redirectUri },
            scopes = new[] { "openid", "useraccount" },
            tlsClientCertificateBoundAccessTokens = true,
        });
        var clientId = registration.GetProperty("clientId").GetString()!;
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (code, verifier) = await _api.AuthorizationCodeAsync(clientId, userName, password, "openid useraccount", redirectUri);

        // RFC 8705 §4: a public client's certificate authenticates nothing, but binds what it is issued.
        var certificate = TestClientCertificates.SelfSigned();
        using var owner = MtlsClient(certificate);
        var tokens = await IssuedAsync(await owner.PostAsync("/oauth/token", new FormUrlEncodedContent([new("grant_type", "authorization_code"),
            new("code", code), new("code_verifier", verifier), new("redirect_uri", redirectUri), new("client_id", clientId)])));
        FormUrlEncodedContent Refresh() => new([new("grant_type", "refresh_token"), new("refresh_token", tokens.GetProperty("refresh_token").GetString()!),
            new("client_id", clientId)]);

        using var thief = MtlsClient(TestClientCertificates.SelfSigned());
        Assert.Equal("invalid_grant", await RefusedAsync(await thief.PostAsync("/oauth/token", Refresh()), HttpStatusCode.BadRequest));
        var refreshed = await IssuedAsync(await owner.PostAsync("/oauth/token", Refresh()));

        // userinfo, a resource of the token service, checks the binding too.
        var accessToken = refreshed.GetProperty("access_token").GetString()!;
        HttpRequestMessage UserInfo() => new(HttpMethod.Get, "/oauth/userinfo") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", accessToken) } };
        Assert.Equal(HttpStatusCode.OK, (await owner.SendAsync(UserInfo())).StatusCode);
        var stolen = await thief.SendAsync(UserInfo());
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
        Assert.Contains("invalid_token", stolen.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task RegistrationsThatCannotWorkAreRefusedFieldByField()
    {
        async Task<JsonElement> ErrorsAsync(object registration)
        {
            var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", registration);
            var problem = await _api.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, problem.GetRawText());
            return problem.GetProperty("errors");
        }

        // Two subject values (§2.1.2 wants exactly one), a certificate that is none, a public client authenticating.
        var errors = await ErrorsAsync(new
        {
            name = "confused", grantTypes = new[] { "client_credentials" }, scopes = new[] { "useraccount" },
            tlsClientAuthSubjectDn = "CN=one", tlsClientAuthSanDns = "one.example.com", tlsClientCertificates = new[] { "not a certificate" },
        });
        Assert.True(errors.TryGetProperty("tlsClientAuth", out _), errors.GetRawText());
        Assert.True(errors.TryGetProperty("tlsClientCertificates[0]", out _), errors.GetRawText());
        var publicErrors = await ErrorsAsync(new
        {
            name = "public", @public = true, grantTypes = new[] { "authorization_code", "implicit" }, redirectUris = new[] { "https://app.example.test/cb" },
            scopes = new[] { "useraccount" }, tlsClientAuthSanDns = "app.example.com", tlsClientCertificateBoundAccessTokens = true,
        });
        Assert.True(publicErrors.TryGetProperty("tlsClientAuth", out _), publicErrors.GetRawText());
        Assert.True(publicErrors.TryGetProperty("tlsClientCertificateBoundAccessTokens", out _), publicErrors.GetRawText());
    }

    [Fact]
    public async Task AForgedClientCertHeaderProvesNothingAtTheApiOrUserinfoAndNoCertificateReachesTheApi()
    {
        var certificate = TestClientCertificates.SelfSigned();
        var clientId = await ClientAsync(new
        {
            name = "certificate-bound, forged header",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "openid", "useraccount" },
            tlsClientCertificates = new[] { TestClientCertificates.Base64(certificate) },
            tlsClientCertificateBoundAccessTokens = true,
        });
        using var owner = MtlsClient(certificate);
        var token = (await IssuedAsync(await ClientCredentialsAsync(owner, clientId))).GetProperty("access_token").GetString()!;

        HttpRequestMessage Call(string path, bool withHeader)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
            if (withHeader)
            {
                request.Headers.Add(ClientCertHeader.Name, ClientCertHeader.Format(certificate));
            }

            return request;
        }

        // The right certificate in a header from a caller that is no trusted proxy: no certificate at all.
        using var forger = system.EdgeFrom("127.0.0.51");
        foreach (var path in new[] { Api, "/oauth/userinfo" })
        {
            var refused = await forger.SendAsync(Call(path, withHeader: true));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString());
        }

        // Over the mutual-TLS listener, and from the trusted proxy: the call passes, and the API sees no Client-Cert.
        using var proxy = system.EdgeFrom("127.0.0.50");
        foreach (var (client, withHeader) in new[] { (owner, false), (proxy, true) })
        {
            var answer = await client.SendAsync(Call(Api, withHeader));
            var identity = await _api.ReadAsync(answer);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, identity.GetRawText());
            Assert.False(identity.GetProperty("headers").TryGetProperty(ClientCertHeader.Name, out _), identity.GetRawText());
        }
    }

    [Fact]
    public async Task ACertificateClientAuthenticatesWithItAloneAtEveryEndpoint()
    {
        var certificate = TestClientCertificates.SelfSigned();
        var registration = await RegisterAsync(new
        {
            name = "certificate-only introspector",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            canIntrospect = true,
            tlsClientCertificates = new[] { TestClientCertificates.Base64(certificate) },
        });
        var (clientId, secret) = (registration.GetProperty("clientId").GetString()!, registration.GetProperty("clientSecret").GetString()!);

        // Its secret is no credential once a certificate is registered (RFC 7591 §2: one method per client).
        var bySecret = await system.Edge.SendAsync(TestApi.FormRequest("/oauth/token", [new("grant_type", "client_credentials")], clientId, secret));
        Assert.Equal("invalid_client", await RefusedAsync(bySecret, HttpStatusCode.Unauthorized));

        using var owner = MtlsClient(certificate);
        var token = (await IssuedAsync(await ClientCredentialsAsync(owner, clientId))).GetProperty("access_token").GetString()!;
        var introspection = await IssuedAsync(await owner.PostAsync("/oauth/introspect",
            new FormUrlEncodedContent([new("token", token), new("client_id", clientId)])));
        Assert.True(introspection.GetProperty("active").GetBoolean());
        var revocation = await owner.PostAsync("/oauth/revoke", new FormUrlEncodedContent([new("token", token), new("client_id", clientId)]));
        Assert.Equal(HttpStatusCode.OK, revocation.StatusCode);
        var after = await IssuedAsync(await owner.PostAsync("/oauth/introspect", new FormUrlEncodedContent([new("token", token), new("client_id", clientId)])));
        Assert.False(after.GetProperty("active").GetBoolean());
    }
}
