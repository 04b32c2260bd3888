using System.Net;
using Microsoft.AspNetCore.Http;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.ServiceDefaults.Tests;

public class EdgeTrustTests
{
    private static readonly InternalKey Key = new("k3y-known-only-to-our-services");

    private static DefaultHttpContext Request(string? edgeKey, string forwardedFor = "203.0.113.7", string proto = "https")
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Scheme = "http";
        if (edgeKey is not null)
        {
            context.Request.Headers[InternalKey.EdgeHeader] = edgeKey;
        }

        context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        context.Request.Headers["X-Forwarded-Proto"] = proto;
        return context;
    }

    [Fact]
    public void ForwardedAddressAndSchemeAreBelievedWithTheEdgeKey()
    {
        var context = Request(Key.Value);

        EdgeTrust.Apply(context, Key);

        Assert.Equal(IPAddress.Parse("203.0.113.7"), context.Connection.RemoteIpAddress);
        Assert.Equal("https", context.Request.Scheme);
        Assert.True(context.IsFromEdge());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("guess")]
    [InlineData("k3y-known-only-to-our-services ")]
    public void ForwardedHeadersAreDroppedWithoutTheRightKey(string? presented)
    {
        var context = Request(presented);

        EdgeTrust.Apply(context, Key);

        Assert.Equal(IPAddress.Loopback, context.Connection.RemoteIpAddress);
        Assert.Equal("http", context.Request.Scheme);
        Assert.False(context.Request.Headers.ContainsKey("X-Forwarded-For"));
        Assert.False(context.IsFromEdge());
    }

    [Fact]
    public void TheKeyHeaderNeverReachesTheApplication()
    {
        var context = Request(Key.Value);

        EdgeTrust.Apply(context, Key);

        Assert.False(context.Request.Headers.ContainsKey(InternalKey.EdgeHeader));
    }

    [Fact]
    public void AnUnconfiguredKeyMatchesNothing()
    {
        var empty = new InternalKey(null);
        Assert.False(empty.Matches(""));
        Assert.False(empty.Matches(null));
    }

    [Fact]
    public void AMalformedForwardedAddressLeavesTheConnectionAddress()
    {
        var context = Request(Key.Value, forwardedFor: "203.0.113.7, 10.0.0.1");

        EdgeTrust.Apply(context, Key);

        Assert.Equal(IPAddress.Loopback, context.Connection.RemoteIpAddress);
    }
}
