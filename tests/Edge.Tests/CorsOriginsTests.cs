using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Edge.Security;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// The origins CORS is answered for: exactly those client-registry lists, compared as sent; none
/// while it has never answered (closed, not open); and after a client change, never the set from
/// before it, even while client-registry is away.
/// </summary>
public class CorsOriginsTests
{
    internal const string App = "https://app.example.com";

    private readonly CannedCalls _registry = new();

    internal static CorsOrigins Origins(CannedCalls registry) =>
        new(new ServiceCollection().AddSingleton(new ClientRegistryClient(registry)).BuildServiceProvider(), NullLogger<CorsOrigins>.Instance);

    internal static CannedCalls Listing(CannedCalls registry, params string[] origins) =>
        registry.On<ListAllowedOriginsRequest, ListAllowedOriginsReply>("ListAllowedOrigins", _ =>
        {
            var reply = new ListAllowedOriginsReply();
            reply.Origins.AddRange(origins);
            return reply;
        });

    private static CannedCalls Away(CannedCalls registry) =>
        registry.On<ListAllowedOriginsRequest, ListAllowedOriginsReply>("ListAllowedOrigins",
            _ => throw new RpcException(new Status(StatusCode.Unavailable, "client-registry is away")));

    [Theory]
    [InlineData(App, true)]
    [InlineData("https://app.example.com.evil.example", false)]
    [InlineData("https://app.example", false)]
    [InlineData("http://app.example.com", false)]
    [InlineData("https://APP.example.com", false)]
    [InlineData("https://app.example.com:443", false)]
    [InlineData("https://app.example.com/", false)]
    [InlineData("null", false)]
    public async Task AnOriginIsAllowedOnlyAsListedExactly(string origin, bool allowed)
    {
        var origins = Origins(Listing(_registry, App, "http://localhost:5173"));

        Assert.Equal(allowed, await origins.AllowsAsync(origin, CancellationToken.None));
    }

    [Fact]
    public async Task WhileClientRegistryHasNeverAnsweredNoOriginIsAllowed()
    {
        var origins = Origins(Away(_registry));

        Assert.False(await origins.AllowsAsync(App, CancellationToken.None));
        Assert.Single(_registry.Requests<ListAllowedOriginsRequest>("ListAllowedOrigins"));
    }

    [Fact]
    public async Task AClientChangeIsSeenAtTheNextRequest()
    {
        var origins = Origins(Listing(_registry, App));
        Assert.True(await origins.AllowsAsync(App, CancellationToken.None));

        Listing(_registry, "https://other.example.com");
        origins.Invalidate();

        Assert.False(await origins.AllowsAsync(App, CancellationToken.None));
        Assert.True(await origins.AllowsAsync("https://other.example.com", CancellationToken.None));
    }

    [Fact]
    public async Task AfterAClientChangeTheOldSetIsNeverServedEvenWhileClientRegistryIsAway()
    {
        var origins = Origins(Listing(_registry, App));
        Assert.True(await origins.AllowsAsync(App, CancellationToken.None));

        Away(_registry);
        origins.Invalidate();

        Assert.False(await origins.AllowsAsync(App, CancellationToken.None));
    }
}
