using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// The limits of <see cref="RemoteKeySets"/> against a real HTTPS server on loopback (self-signed,
/// trusted by these tests alone, allowed by the allow-list): HTTPS only, no redirect followed,
/// 64 KB, the timeout, and the address policy applied to the connection itself. Nothing here
/// connects anywhere but loopback: forbidden addresses are refused before a socket exists.
/// </summary>
public sealed class RemoteKeySetsTests : IAsyncLifetime
{
    private const string Prefix = "{\"keys\":[],\"pad\":\"";
    private const string Suffix = "\"}";
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private X509Certificate2 _certificate = null!;
    private WebApplication _server = null!;
    private string _base = "";
    private int _jwksHits;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var selfSigned = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
        {
            // Through PKCS#12, so the key is usable by a TLS server on every platform.
            _certificate = X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pfx), null);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.UseHttps(_certificate)));
        _server = builder.Build();
        _server.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref _jwksHits);
            return Results.Text("""{"keys":[]}""", "application/json");
        });
        _server.MapGet("/redirect", () => Results.Redirect("/jwks"));
        _server.MapGet("/padded/{bytes:int}", (int bytes) => Results.Text(Prefix + new string('x', bytes - Prefix.Length - Suffix.Length) + Suffix, "application/json"));
        _server.MapGet("/silent", async (HttpContext context) => await _release.Task.WaitAsync(context.RequestAborted));
        await _server.StartAsync();
        _base = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    [Fact]
    public async Task ADocumentIsFetchedFromAnAllowedHttpsServer()
    {
        using var fetcher = Fetcher();

        var json = await fetcher.GetJsonAsync(_base + "/jwks", CancellationToken.None);

        Assert.True(json.TryGetProperty("keys", out _));
        Assert.Equal(1, _jwksHits);
    }

    [Fact]
    public async Task PlainHttpIsRefusedBeforeAnyRequest()
    {
        using var fetcher = Fetcher();

        var refused = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync(_base.Replace("https://", "http://") + "/jwks", CancellationToken.None));

        Assert.Contains("must use https", refused.Message);
        Assert.Equal(0, _jwksHits);
        Assert.NotNull(fetcher.UrlProblem("http://provider.example/jwks"));
        // Development alone lets plain http reach a loopback host.
        using var development = Fetcher(environment: Environments.Development);
        Assert.Null(development.UrlProblem("http://127.0.0.1:8080/jwks"));
        Assert.NotNull(development.UrlProblem("http://provider.example/jwks"));
    }

    [Fact]
    public async Task ARedirectIsNotFollowed()
    {
        using var fetcher = Fetcher();

        var refused = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync(_base + "/redirect", CancellationToken.None));

        Assert.Contains("answered 302", refused.Message);
        Assert.Equal(0, _jwksHits);
    }

    [Fact]
    public async Task ADocumentOver64KBIsRefused()
    {
        using var fetcher = Fetcher();

        Assert.True((await fetcher.GetJsonAsync($"{_base}/padded/{RemoteKeySets.MaxDocumentBytes}", CancellationToken.None)).TryGetProperty("pad", out _));
        var refused = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync($"{_base}/padded/{RemoteKeySets.MaxDocumentBytes + 1}", CancellationToken.None));

        Assert.IsAssignableFrom<HttpRequestException>(refused.InnerException);
    }

    [Fact]
    public async Task AServerThatNeverAnswersTimesOut()
    {
        using var fetcher = Fetcher(timeout: "00:00:00.500");
        var started = TimeProvider.System.GetTimestamp();

        var refused = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync(_base + "/silent", CancellationToken.None));

        Assert.IsAssignableFrom<TaskCanceledException>(refused.InnerException);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task ALoopbackServerIsRefusedUnlessAllowedByAddressOrByName()
    {
        using var fetcher = Fetcher(allowed: null);

        var byAddress = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync(_base + "/jwks", CancellationToken.None));
        // A name is resolved and checked by the connection itself.
        var byName = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync(_base.Replace("127.0.0.1", "localhost") + "/jwks", CancellationToken.None));

        Assert.Contains("loopback 127.0.0.0/8", Messages(byAddress));
        Assert.Contains("loopback", Messages(byName));
        Assert.Equal(0, _jwksHits);
    }

    [Theory]
    [InlineData("https://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("https://10.255.255.1/jwks", "private 10.0.0.0/8")]
    [InlineData("https://100.64.0.1/jwks", "CGNAT")]
    [InlineData("https://[fd00::1]/jwks", "unique-local")]
    [InlineData("https://[::ffff:127.0.0.1]/jwks", "loopback")]
    [InlineData("https://[::ffff:10.0.0.1]/jwks", "private")]
    public async Task InternalAddressesAreRefusedBeforeAnyConnection(string url, string range)
    {
        using var fetcher = Fetcher(allowed: null);

        var refused = await Assert.ThrowsAsync<RemoteDocumentException>(() => fetcher.GetJsonAsync(url, CancellationToken.None));

        Assert.Contains(range, Messages(refused));
        Assert.Contains("not allowed by RemoteFetch:AllowedNetworks", Messages(refused));
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _server.StopAsync();
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    private RemoteKeySets Fetcher(string? allowed = "127.0.0.0/8", string timeout = "00:00:05", string environment = "Production") =>
        new(TimeProvider.System, new TestEnvironment(environment), new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [RemoteAddressPolicy.AllowedNetworksKey] = allowed, [RemoteKeySets.TimeoutKey] = timeout })
            .Build(), NullLogger<RemoteKeySets>.Instance,
            (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString());

    private static string Messages(Exception? e)
    {
        var messages = new List<string>();
        for (; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    private sealed class TestEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
