using System.Net;
using Microsoft.AspNetCore.Http;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// A service believes forwarded headers only from the edge: a service token of the edge (signed with
/// the edge's key) addressed to this service. Anyone else's token, the edge's token for another
/// service, or the edge's name on another key leaves the connection as it is.
/// </summary>
public class EdgeTrustTests
{
    private static readonly string EdgeKey = ServiceKeys.NewPrivateKey();
    private static readonly string AuthorizeKey = ServiceKeys.NewPrivateKey();

    private readonly ManualClock _clock = new();

    /// <summary>The token service, which trusts the edge and the authorize service.</summary>
    private ServiceTokenVerifier Verifier() => ServiceIdentities.Verifier("token", _clock, ("edge", EdgeKey), ("authorize", AuthorizeKey));

    private string EdgeTokenFor(string audience)
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        return edge.TokenFor(audience);
    }

    private static DefaultHttpContext Request(string? proof, string forwardedFor = "203.0.113.7", string proto = "https")
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Scheme = "http";
        if (proof is not null)
        {
            context.Request.Headers[EdgeTrust.EdgeHeader] = proof;
        }

        context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        context.Request.Headers["X-Forwarded-Proto"] = proto;
        return context;
    }

    [Fact]
    public async Task ForwardedAddressAndSchemeAreBelievedWithTheEdgesTokenForThisService()
    {
        var context = Request(EdgeTokenFor("token"));

        await EdgeTrust.ApplyAsync(context, Verifier());

        Assert.Equal(IPAddress.Parse("203.0.113.7"), context.Connection.RemoteIpAddress);
        Assert.Equal("https", context.Request.Scheme);
        Assert.True(context.IsFromEdge());
    }

    [Theory]
    [InlineData("none")]
    [InlineData("empty")]
    [InlineData("guess")]
    [InlineData("another service's token")]
    [InlineData("the edge's token for another service")]
    [InlineData("the edge's name on another key")]
    [InlineData("the edge's token twice")]
    public async Task ForwardedHeadersAreDroppedWithoutTheRightKey(string presented)
    {
        string? proof = presented switch
        {
            "none" => null,
            "empty" => "",
            "guess" => "k3y-known-only-to-our-services",
            "another service's token" => ServiceIdentities.Mint(AuthorizeKey, "authorize", "token", _clock.Now),
            "the edge's token for another service" => EdgeTokenFor("authorize"),
            "the edge's name on another key" => ServiceIdentities.Mint(AuthorizeKey, "edge", "token", _clock.Now),
            _ => EdgeTokenFor("token") + "," + EdgeTokenFor("token"),
        };
        var context = Request(proof);

        await EdgeTrust.ApplyAsync(context, Verifier());

        Assert.Equal(IPAddress.Loopback, context.Connection.RemoteIpAddress);
        Assert.Equal("http", context.Request.Scheme);
        Assert.False(context.Request.Headers.ContainsKey("X-Forwarded-For"));
        Assert.False(context.IsFromEdge());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheProofNeverReachesTheApplication(bool valid)
    {
        var context = Request(valid ? EdgeTokenFor("token") : "forged");

        await EdgeTrust.ApplyAsync(context, Verifier());

        Assert.False(context.Request.Headers.ContainsKey(EdgeTrust.EdgeHeader));
    }

    [Fact]
    public async Task AServiceWithoutAnIdentityBelievesNoProof()
    {
        var context = Request(EdgeTokenFor("token"));

        await EdgeTrust.ApplyAsync(context, ServiceIdentities.Verifier(null, _clock, ("edge", EdgeKey)));

        Assert.False(context.IsFromEdge());
    }

    [Fact]
    public async Task AMalformedForwardedAddressLeavesTheConnectionAddress()
    {
        var context = Request(EdgeTokenFor("token"), forwardedFor: "203.0.113.7, 10.0.0.1");

        await EdgeTrust.ApplyAsync(context, Verifier());

        Assert.Equal(IPAddress.Loopback, context.Connection.RemoteIpAddress);
    }
}
