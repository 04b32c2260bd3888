using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// node oidc-provider, installed from npm into bench/peers/oidc-provider and run on a free port; with
/// a PostgreSQL connection string it stores grants, codes, refresh tokens and opaque access tokens
/// there (one committed statement each, <c>server.mjs</c>), otherwise in its own memory.
/// </summary>
public sealed class OidcProviderPeer(Process process, Uri url, bool durable) : PeerProcess(process, url)
{
    public const string ClientId = "bench-client";
    public const string ClientSecret = "bench-secret-0123456789abcdef0123456789abcdef";
    public const string WebClientId = "bench-web";
    public const string RedirectUri = "https://app.example.test/callback";
    public const string OpaqueResource = "urn:oauthaspire:bench-opaque";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>The PKCE verifier of every minted code.</summary>
    public string Verifier { get; } = Protocol.Tokens.RefreshTokens.New() + "-bench-peer";

    /// <summary>Whether grants, codes and refresh tokens are committed to PostgreSQL.</summary>
    public bool Durable { get; } = durable;

    /// <param name="postgres">An Npgsql connection string for its storage; null for its in-memory adapter.</param>
    public static async Task<OidcProviderPeer> StartAsync(string root, string? postgres = null)
    {
        var directory = Path.Combine(root, "bench", "peers", "oidc-provider");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "oidc-provider")) || !Directory.Exists(Path.Combine(directory, "node_modules", "pg")))
        {
            Console.WriteLine("Installing oidc-provider from npm...");
            using var npm = Process.Start(new ProcessStartInfo("npm", "install --no-audit --no-fund --loglevel=error") { WorkingDirectory = directory })!;
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install failed ({npm.ExitCode})");
            }
        }

        var port = FreePort();
        var start = new ProcessStartInfo("node") { WorkingDirectory = directory, ArgumentList = { "server.mjs", port.ToString(), ClientId, ClientSecret, postgres ?? "-" } };
        start.Environment["NODE_ENV"] = "production";
        return new OidcProviderPeer(await StartAsync(start, "oidc-provider"), new Uri($"http://127.0.0.1:{port}"), postgres is not null);
    }

    /// <summary>Codes for bench-web, minted by the peer's bench endpoint (it has no login page here), 10,000 per call at most.</summary>
    public async Task<string[]> CodesAsync(int count)
    {
        var codes = new List<string>(count);
        while (codes.Count < count)
        {
            var batch = Math.Min(10_000, count - codes.Count);
            using var response = await Http.PostAsync(new Uri(Url, $"/bench/codes?count={batch}&verifier={Verifier}"), null);
            response.EnsureSuccessStatusCode();
            using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            codes.AddRange(json.RootElement.GetProperty("codes").EnumerateArray().Select(c => c.GetString()!));
        }

        return [.. codes];
    }

    /// <summary>The form of a code redemption without its code.</summary>
    public string CodeRedemptionPrefix => $"grant_type=authorization_code&redirect_uri={Uri.EscapeDataString(RedirectUri)}&code_verifier={Verifier}&code=";

    /// <summary>Redeems fresh codes for <paramref name="count"/> refresh tokens, each the head of its own grant.</summary>
    public async Task<string[]> RefreshTokensAsync(int count, string webSecret)
    {
        var tokens = new List<string>();
        foreach (var code in await CodesAsync(count))
        {
            tokens.Add((await TokenAsync(WebClientId, webSecret, CodeRedemptionPrefix + Uri.EscapeDataString(code))).GetProperty("refresh_token").GetString()!);
        }

        return [.. tokens];
    }

    /// <summary>An opaque, stored client-credentials token: oidc-provider introspects only the tokens it stores, not its JWTs.</summary>
    public async Task<string> OpaqueTokenAsync() =>
        (await TokenAsync(ClientId, ClientSecret, $"grant_type=client_credentials&resource={Uri.EscapeDataString(OpaqueResource)}")).GetProperty("access_token").GetString()!;

    private async Task<System.Text.Json.JsonElement> TokenAsync(string clientId, string secret, string form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Url, "/token"))
        {
            Content = new StringContent(form, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Protocol.Clients.ClientAuthentication.EncodeBasic(clientId, secret));
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"oidc-provider's token endpoint answered {(int)response.StatusCode}: {body}");
        }

        return System.Text.Json.JsonDocument.Parse(body).RootElement.Clone();
    }
}

/// <summary>OpenIddict's minimal server (bench/peers/OpenIddictPeer), with its token storage in PostgreSQL or off.</summary>
public sealed class OpenIddictPeer(Process process, Uri url) : PeerProcess(process, url)
{
    public static async Task<OpenIddictPeer> StartAsync(string root, string postgres, bool storage)
    {
        var dll = Path.Combine(root, "bench", "peers", "OpenIddictPeer", "bin", "Release", "net10.0", "OpenIddictPeer.dll");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", "--Peer:Postgres", postgres, "--Peer:Storage", storage ? "on" : "off" },
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return new OpenIddictPeer(await StartAsync(start, "OpenIddict"), new Uri($"http://127.0.0.1:{port}"));
    }
}

/// <summary>A peer server run as a child process: started on a free port, ready when it says so, killed at the end.</summary>
public abstract class PeerProcess(Process process, Uri url) : IAsyncDisposable
{
    public Uri Url { get; } = url;

    public int Pid => process.Id;

    public async ValueTask DisposeAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the process and waits for its first line to say "ready".</summary>
    protected static async Task<Process> StartAsync(ProcessStartInfo start, string name)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        var ready = await process.StandardOutput.ReadLineAsync();
        if (ready?.Contains("ready", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"{name} did not start: {ready} {await process.StandardError.ReadToEndAsync()}");
        }

        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
