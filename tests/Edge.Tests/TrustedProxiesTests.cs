using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.Edge.Security;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// The caller's address that limits and audit events key on: X-Forwarded-For is believed only
/// from the configured proxies, read right to left up to the first address that is not one of
/// them, so what a caller writes into the header itself never counts.
/// </summary>
public class TrustedProxiesTests
{
    private const string Proxies = "10.0.0.0/8, 192.168.1.1";

    /// <summary>The address the rest of the pipeline sees for a request from <paramref name="remote"/>.</summary>
    private static async Task<string?> CallerAsync(string? trustedProxies, string remote, string? forwardedFor)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [TrustedProxies.ConfigKey] = trustedProxies })
            .Build();
        var app = new ApplicationBuilder(new ServiceCollection().AddLogging().BuildServiceProvider());
        app.UseTrustedProxies(configuration);
        string? seen = null;
        app.Run(context =>
        {
            seen = context.Connection.RemoteIpAddress?.ToString();
            return Task.CompletedTask;
        });

        var request = new DefaultHttpContext();
        request.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (forwardedFor is not null)
        {
            request.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        await app.Build()(request);
        return seen;
    }

    [Fact]
    public async Task WithoutTrustedProxiesTheHeaderIsIgnored() =>
        Assert.Equal("10.0.0.5", await CallerAsync(null, "10.0.0.5", "198.51.100.7"));

    [Fact]
    public async Task ATrustedProxyNamesTheCaller() =>
        Assert.Equal("198.51.100.7", await CallerAsync(Proxies, "10.0.0.5", "198.51.100.7"));

    [Fact]
    public async Task WhatTheCallerWroteIntoTheHeaderItselfNeverCounts() =>
        Assert.Equal("198.51.100.7", await CallerAsync(Proxies, "10.0.0.5", "203.0.113.66, 198.51.100.7"));

    [Fact]
    public async Task EveryTrustedHopIsWalked() =>
        Assert.Equal("198.51.100.7", await CallerAsync(Proxies, "10.0.0.5", "203.0.113.66, 198.51.100.7, 192.168.1.1, 10.20.30.40"));

    [Fact]
    public async Task AnUntrustedPeerCannotNameAnotherCaller() =>
        Assert.Equal("192.0.2.10", await CallerAsync(Proxies, "192.0.2.10", "198.51.100.7"));

    [Fact]
    public async Task ASingleAddressIsTrustedAloneNotItsNeighbours() =>
        Assert.Equal("192.168.1.2", await CallerAsync(Proxies, "192.168.1.2", "198.51.100.7"));

    [Fact]
    public async Task ANetworkWithHostBitsIsAMistakeThatStopsTheEdgeFromStarting() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() => CallerAsync("10.0.0.1/8", "10.0.0.5", "198.51.100.7"));
}
