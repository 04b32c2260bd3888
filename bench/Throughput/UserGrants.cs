using System.Globalization;
using System.Net;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// What the authorization code and refresh scenarios spend, prepared beforehand through the real
/// front door: a user signs in once and consents (a confidential client's consent is remembered),
/// after which each GET /oauth/authorize answers at once with a fresh code. Codes live 60 s, so
/// each run gets its own, minted just before it.
/// </summary>
public sealed class UserGrants : IDisposable
{
    private const string RedirectUri = "https://app.example.test/callback";
    private const string Scope = "openid useraccount";
    private readonly TestApi _api;
    private readonly HttpClient _session;
    private readonly string _authorizeUrl;
    private readonly string _verifier = Protocol.Tokens.RefreshTokens.New() + "-bench";

    private UserGrants(TestApi api, Uri edge, string clientId, string secret, CookieContainer cookies)
    {
        _api = api;
        ClientId = clientId;
        Secret = secret;
        TokenUrl = new Uri(edge, "/oauth/token");
        _session = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false, MaxConnectionsPerServer = 16 }) { BaseAddress = edge };
        _authorizeUrl = $"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(RedirectUri)}" +
            $"&scope={Uri.EscapeDataString(Scope)}&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(_verifier)}&code_challenge_method=S256&state=bench";
    }

    public string ClientId { get; }

    public string Secret { get; }

    public Uri TokenUrl { get; }

    /// <summary>Registers a web client and a user, signs in and consents once.</summary>
    public static async Task<UserGrants> StartAsync(SystemFixture system, TestApi api)
    {
        var (clientId, secret) = await api.CreateWebClientAsync([RedirectUri], ["openid", "useraccount"], grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, _, password) = await api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        var grants = new UserGrants(api, system.EdgeUrl, clientId, secret!, browser.Cookies);
        await browser.GetAsync(grants._authorizeUrl);
        await browser.SignInAsync(userName, password);
        if (browser.Html.Contains("wants to access", StringComparison.Ordinal))
        {
            await browser.ConsentAsync(true);
        }

        // From now on the session and the remembered consent answer without a page.
        _ = await grants.CodesAsync(1);
        return grants;
    }

    /// <summary>Mints <paramref name="count"/> codes through GET /oauth/authorize, 16 at a time.</summary>
    public async Task<string[]> CodesAsync(int count)
    {
        // By index: the array is in the order the codes were minted (16 at a time), oldest first.
        var codes = new string[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await _session.GetAsync(_authorizeUrl, ct);
            codes[i] = FormBrowser.RedirectParameters(response, out _)["code"];
        });
        return codes;
    }

    /// <summary>Redeems fresh codes for <paramref name="count"/> refresh tokens (each the head of its own family).</summary>
    public async Task<string[]> RefreshTokensAsync(int count)
    {
        var tokens = new List<string>();
        foreach (var code in await CodesAsync(count))
        {
            var response = await _api.RedeemCodeAsync(ClientId, Secret, code, _verifier, RedirectUri);
            tokens.Add(response.RefreshToken ?? throw new InvalidOperationException($"no refresh token: {response.Error} {response.ErrorDescription}"));
        }

        return [.. tokens];
    }

    /// <summary>The redemption form without its code.</summary>
    public string CodeRedemptionPrefix => $"grant_type=authorization_code&redirect_uri={Uri.EscapeDataString(RedirectUri)}&code_verifier={_verifier}&code=";

    /// <summary>Gives each wrk thread its number (0, 1, ...) as the global <c>index</c>.</summary>
    internal const string ThreadIndex = """
        local dealt = 0
        function setup(thread)
          thread:set("index", dealt)
          dealt = dealt + 1
        end
        """;

    /// <summary>
    /// wrk redeeming each prepared code once, the codes dealt round-robin to the threads. A thread
    /// whose codes are spent stops rather than send a spent code (wrk still counts the full
    /// duration, so the bench gives each run more codes than it can spend, and checks).
    /// </summary>
    public static string CodeScript(IReadOnlyList<string> codes, int threads, string prefix) => $$"""
        local codes = { {{string.Join(",", codes.Select(c => Wrk.Quote(Uri.EscapeDataString(c))))}} }
        local threads = {{threads.ToString(CultureInfo.InvariantCulture)}}
        {{ThreadIndex}}
        local position = nil
        function request()
          position = position or ((index or 0) + 1)
          local code = codes[position]
          position = position + threads
          if code == nil then
            wrk.thread:stop()
            code = "spent"
          end
          return wrk.format(nil, nil, nil, {{Wrk.Quote(prefix)}} .. code)
        end
        """;

    /// <summary>
    /// wrk refreshing with rotation: one thread per connection, each holding its own family's
    /// current refresh token and taking the new one from every answer.
    /// </summary>
    public static string RefreshScript(IReadOnlyList<string> tokens) => $$"""
        local tokens = { {{string.Join(",", tokens.Select(Wrk.Quote))}} }
        {{ThreadIndex}}
        local current = nil
        function request()
          current = current or tokens[(index or 0) + 1]
          return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. current)
        end
        function response(status, headers, body)
          local token = body:match('"refresh_token":"([^"]+)"')
          if token then
            current = token
          end
        end
        """;

    public void Dispose()
    {
        _session.Dispose();
    }
}
