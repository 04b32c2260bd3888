using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OAuthAspire.Bench.Throughput;

/// <summary>node oidc-provider, installed from npm into bench/peers/oidc-provider and run on a free port.</summary>
public sealed class OidcProviderPeer : IAsyncDisposable
{
    public const string ClientId = "bench-client";
    public const string ClientSecret = "bench-secret-0123456789abcdef0123456789abcdef";

    private readonly Process _process;

    private OidcProviderPeer(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    public static async Task<OidcProviderPeer> StartAsync(string root)
    {
        var directory = Path.Combine(root, "bench", "peers", "oidc-provider");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "oidc-provider")))
        {
            Console.WriteLine("Installing oidc-provider from npm...");
            await RunAsync("npm", directory, "install", "--no-audit", "--no-fund", "--loglevel=error");
        }

        var port = FreePort();
        var start = new ProcessStartInfo("node") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "server.mjs", port.ToString(), ClientId, ClientSecret })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NODE_ENV"] = "production";
        var process = Process.Start(start)!;
        var ready = await process.StandardOutput.ReadLineAsync();
        if (ready?.Contains("ready", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"oidc-provider did not start: {ready} {await process.StandardError.ReadToEndAsync()}");
        }

        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return new OidcProviderPeer(process, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode})");
        }
    }
}

/// <summary>OpenIddict's minimal server (bench/peers/OpenIddictPeer), with its token storage in PostgreSQL or off.</summary>
public sealed class OpenIddictPeer : IAsyncDisposable
{
    private readonly Process _process;

    private OpenIddictPeer(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<OpenIddictPeer> StartAsync(string root, string postgres, bool storage)
    {
        var dll = Path.Combine(root, "bench", "peers", "OpenIddictPeer", "bin", "Release", "net10.0", "OpenIddictPeer.dll");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--Peer:Postgres", postgres, "--Peer:Storage", storage ? "on" : "off" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start)!;
        var ready = await process.StandardOutput.ReadLineAsync();
        if (ready?.Contains("ready", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"OpenIddict did not start: {ready} {await process.StandardError.ReadToEndAsync()}");
        }

        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await Task.Delay(500);
        return new OpenIddictPeer(process, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
