using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Duende.IdentityModel.Client;

namespace OAuthAspire.Testing;

/// <summary>What the tests do again and again through the edge: admin tokens, users, clients, tokens.</summary>
public sealed class TestApi(SystemFixture system)
{
    private string? _adminToken;

    public HttpClient Edge => system.Edge;

    public string TokenEndpoint => system.Issuer + "/oauth/token";

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>The bootstrap client's token: how a fresh install administers itself.</summary>
    public async Task<string> AdminTokenAsync()
    {
        if (_adminToken is null)
        {
            var response = await ClientCredentialsAsync(await system.ParameterAsync("bootstrap-client-id"), await system.ParameterAsync("bootstrap-client-secret"));
            Assert.False(response.IsError, response.Error);
            _adminToken = response.AccessToken;
        }

        return _adminToken!;
    }

    private string? _auditorToken;

    /// <summary>A back-end acting as a user with the auditor role only: reads the audit log, administers nothing.</summary>
    public async Task<string> AuditorTokenAsync()
    {
        if (_auditorToken is null)
        {
            var user = await CreateUserAsync(Unique("auditor"), ["auditor"]);
            var (clientId, secret) = await CreateClientAsync(["admin.api"], applicationUser: user.GetProperty("userName").GetString());
            var response = await ClientCredentialsAsync(clientId, secret);
            Assert.False(response.IsError, response.Error);
            _auditorToken = response.AccessToken;
        }

        return _auditorToken!;
    }

    /// <summary>Every audit event the audit log holds for <paramref name="query"/> (all pages), newest first.</summary>
    public async Task<List<JsonElement>> AuditEventsAsync(string query)
    {
        var events = new List<JsonElement>();
        string? after = null;
        do
        {
            var response = await SendAsync(HttpMethod.Get, $"/api/admin/audit/events?{query}&limit=200"
                + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)), token: await AuditorTokenAsync());
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            var page = await ReadAsync(response);
            events.AddRange(page.GetProperty("items").EnumerateArray());
            after = page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (after is not null);
        return events;
    }

    public async Task<TokenResponse> ClientCredentialsAsync(string clientId, string clientSecret, string? scope = null) =>
        await Edge.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = TokenEndpoint,
            ClientId = clientId,
            ClientSecret = clientSecret,
            Scope = scope,
        });

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? token = null, bool anonymous = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (!anonymous)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? await AdminTokenAsync());
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: JsonSerializerOptions.Web);
        }

        return await Edge.SendAsync(request);
    }

    public async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public async Task<JsonElement> CreateUserAsync(string userName, string[] roles, string? password = "Pa55word-for-tests")
    {
        var response = await SendAsync(HttpMethod.Post, "/api/admin/users", new { userName, email = $"{userName}@example.com", firstName = "Test", lastName = "User", roles, password });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response);
    }

    /// <summary>Registers a confidential client-credentials client; returns its id and secret.</summary>
    public async Task<(string ClientId, string Secret)> CreateClientAsync(string[] scopes, string? applicationUser = null, string[]? grantTypes = null,
        bool canIntrospect = false, string[]? defaultScopes = null, string[]? trusts = null, string name = "Test back-end")
    {
        var response = await SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name,
            grantTypes = grantTypes ?? ["client_credentials"],
            scopes,
            defaultScopes = defaultScopes ?? scopes,
            applicationUser,
            canIntrospect,
            trusts,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        var json = JsonDocument.Parse(body).RootElement;
        return (json.GetProperty("clientId").GetString()!, json.GetProperty("clientSecret").GetString()!);
    }

    /// <summary>Registers a client for the authorization code flow; the secret is null for a public client.</summary>
    public async Task<(string ClientId, string? Secret)> CreateWebClientAsync(string[] redirectUris, string[] scopes, bool isPublic = false,
        string[]? grantTypes = null, bool pkceRequired = false, string? name = null)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = name ?? "Test web app",
            @public = isPublic,
            pkceRequired,
            grantTypes = grantTypes ?? ["authorization_code"],
            redirectUris,
            scopes,
            logoUrl = "https://app.example.test/logo.png",
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        var json = JsonDocument.Parse(body).RootElement;
        return (json.GetProperty("clientId").GetString()!, json.TryGetProperty("clientSecret", out var s) ? s.GetString() : null);
    }

    /// <summary>A user with a known password, for sign-in tests.</summary>
    public async Task<(string UserName, string SysId, string Password)> CreateSignInUserAsync(string[]? roles = null)
    {
        var userName = Unique("person");
        const string password = "Correct-horse-battery-9";
        var user = await CreateUserAsync(userName, roles ?? ["itil"], password);
        return (userName, user.GetProperty("sysId").GetString()!, password);
    }

    /// <summary>Signs a user in through the code flow (consenting) and redeems the code; returns the token response.</summary>
    public async Task<TokenResponse> CodeFlowAsync(string clientId, string? secret, string userName, string password, string scope,
        string redirectUri = "https://app.example.test/callback")
    {
        var (code, verifier) = await AuthorizationCodeAsync(clientId, userName, password, scope, redirectUri);
        return await RedeemCodeAsync(clientId, secret, code, verifier, redirectUri);
    }

    /// <summary>Redeems a code at the token endpoint (client authentication by Basic when there is a secret).</summary>
    public Task<TokenResponse> RedeemCodeAsync(string clientId, string? secret, string code, string verifier, string redirectUri) =>
        Edge.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = TokenEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            Code = code,
            RedirectUri = redirectUri,
            CodeVerifier = verifier,
            ClientCredentialStyle = secret is null ? ClientCredentialStyle.PostBody : ClientCredentialStyle.AuthorizationHeader,
        });

    /// <summary>An authorization request for a code with PKCE S256 and <c>state=s</c>, as a path on the edge.</summary>
    public static string AuthorizePath(string clientId, string redirectUri, string scope, string verifier) =>
        $"/oauth/authorize?response_type=code&client_id={Uri.EscapeDataString(clientId)}&redirect_uri={Uri.EscapeDataString(redirectUri)}&state=s" +
        $"&scope={Uri.EscapeDataString(scope)}&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(verifier)}&code_challenge_method=S256";

    /// <summary>Signs a user in through the code flow (consenting); returns the code, not yet redeemed, and its PKCE verifier.</summary>
    /// <param name="extraQuery">More authorization request parameters, as <c>&amp;name=value</c>.</param>
    public async Task<(string Code, string Verifier)> AuthorizationCodeAsync(string clientId, string userName, string password, string scope,
        string redirectUri = "https://app.example.test/callback", string extraQuery = "")
    {
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(AuthorizePath(clientId, redirectUri, scope, verifier) + extraQuery);
        await browser.SignInAsync(userName, password);
        var response = browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!;
        return (FormBrowser.RedirectParameters(response, out _)["code"], verifier);
    }

    public Task<TokenResponse> RefreshAsync(string clientId, string? secret, string refreshToken, string? scope = null) =>
        Edge.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = TokenEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            RefreshToken = refreshToken,
            Scope = scope,
            ClientCredentialStyle = secret is null ? ClientCredentialStyle.PostBody : ClientCredentialStyle.AuthorizationHeader,
        });

    /// <summary>Posts a form to an OAuth endpoint, optionally with Basic client authentication.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> form, string? clientId = null, string? secret = null)
    {
        using var request = FormRequest(path, form, clientId, secret);
        return await Edge.SendAsync(request);
    }

    /// <summary>A form POST to an OAuth endpoint, with Basic client authentication when a client is named: to send through any client (one replica's, say).</summary>
    public static HttpRequestMessage FormRequest(string path, IEnumerable<KeyValuePair<string, string>> form, string? clientId = null, string? secret = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (clientId is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Protocol.Clients.ClientAuthentication.EncodeBasic(clientId, secret!));
        }

        return request;
    }

    /// <summary>A client-credentials token request with Basic client authentication, as load tests send it.</summary>
    public static HttpRequestMessage ClientCredentialsRequest(string clientId, string secret) =>
        FormRequest("/oauth/token", [new("grant_type", "client_credentials")], clientId, secret);

    /// <summary>A client-credentials token of a new client allowed exactly these scopes.</summary>
    public async Task<string> TokenAsync(string[] scopes)
    {
        var (clientId, secret) = await CreateClientAsync(scopes);
        var response = await ClientCredentialsAsync(clientId, secret);
        Assert.False(response.IsError, response.Error);
        return response.AccessToken!;
    }

    /// <summary>A new scope named after the prefix.</summary>
    public async Task<string> CreateScopeAsync(string prefix)
    {
        var name = $"{prefix}.{Guid.NewGuid():N}"[..(prefix.Length + 13)];
        var response = await SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name, description = $"Test scope {name}" });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return name;
    }

    /// <summary>
    /// A table of its own: GET needs the read scope, POST the write scope, nothing else is allowed.
    /// Returns once the edge enforces it (a call no rule covers is refused).
    /// </summary>
    /// <param name="acceptDefaultAudience">
    /// Whether tokens with the default audience are good there (as for every policy made before resource
    /// indicators); off, only tokens for its resource identifier (<c>{issuer}{path}</c>, RFC 8707) are.
    /// </param>
    public async Task<ProtectedTable> ProtectedTableAsync(bool acceptDefaultAudience = true)
    {
        var name = $"inc_{Guid.NewGuid():N}"[..16];
        var path = $"/api/now/table/{name}";
        var read = await CreateScopeAsync("read");
        var write = await CreateScopeAsync("write");
        var created = await SendAsync(HttpMethod.Post, "/api/admin/api-policies", new
        {
            name,
            basePath = path,
            acceptDefaultAudience,
            rules = new[]
            {
                new { methods = new[] { "GET" }, resource = path, scopes = new[] { read } },
                new { methods = new[] { "GET" }, resource = path + "/*", scopes = new[] { read } },
                new { methods = new[] { "POST" }, resource = path, scopes = new[] { write } },
            },
        });
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

        var probe = await TokenAsync([read]);
        await TestApi.EventuallyAsync(async () =>
            (await SendAsync(HttpMethod.Delete, $"{path}/0123456789abcdef0123456789abcdef", token: probe)).StatusCode is System.Net.HttpStatusCode.Forbidden
                or System.Net.HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(5), "enforcing the new policy");
        return new ProtectedTable(name, path, read, write);
    }

    /// <summary>
    /// The RFC 6749 error code of a token response. (Duende reports non-400 failures, such as the
    /// 401 of invalid_client, as HTTP errors with the reason phrase in <c>Error</c>.)
    /// </summary>
    public static string? OAuthError(ProtocolResponse response) =>
        response.Json is { } json && json.TryGetProperty("error", out var error) ? error.GetString() : null;

    /// <summary>Polls until <paramref name="condition"/> holds, failing after <paramref name="bound"/>; returns the time it took.</summary>
    public static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> condition, TimeSpan bound, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < bound, $"{what} did not happen within {bound.TotalSeconds} s");
            await Task.Delay(25);
        }

        return clock.Elapsed;
    }
}

/// <summary>A table of the sample API under its own policy: GET needs <see cref="Read"/>, POST <see cref="Write"/>, nothing else passes.</summary>
public sealed record ProtectedTable(string Name, string Path, string Read, string Write);
