using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OAuthAspire.Bench.Throughput;

/// <summary>node oidc-provider, installed from npm into bench/peers/oidc-provider and run on a free port.</summary>
public sealed class OidcProviderPeer(Process process, Uri url) : PeerProcess(process, url)
{
    public const string ClientId = "bench-client";
    public const string ClientSecret = "bench-secret-0123456789abcdef0123456789abcdef";

    public static async Task<OidcProviderPeer> StartAsync(string root)
    {
        var directory = Path.Combine(root, "bench", "peers", "oidc-provider");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "oidc-provider")))
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
        var start = new ProcessStartInfo("node") { WorkingDirectory = directory, ArgumentList = { "server.mjs", port.ToString(), ClientId, ClientSecret } };
        start.Environment["NODE_ENV"] = "production";
        return new OidcProviderPeer(await StartAsync(start, "oidc-provider"), new Uri($"http://127.0.0.1:{port}"));
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
