using Microsoft.AspNetCore.Http;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// CORS on the endpoints a single-page app calls: preflights answered at the edge with the
/// endpoint's own methods for a registered origin and a bare 403 for any other; an actual request
/// forwarded and its answer opened to a registered origin only; the issuer's own origin and every
/// other path left alone; every answer of these paths varying by Origin.
/// </summary>
public class CorsGateTests
{
    private const string Issuer = "https://id.example.com";
    private const string App = CorsOriginsTests.App;

    private readonly CannedCalls _registry = new();
    private int _forwarded;

    private CorsGate Gate()
    {
        CorsOriginsTests.Listing(_registry, App);
        return new CorsGate(_ =>
        {
            _forwarded++;
            return Task.CompletedTask;
        }, CorsOriginsTests.Origins(_registry), new EdgeSettings(Issuer, Issuer + "/api"));
    }

    private static HttpContext Preflight(string path, string origin)
    {
        var context = Http.Context(HttpMethods.Options, path);
        context.Request.Headers.Origin = origin;
        context.Request.Headers.AccessControlRequestMethod = HttpMethods.Post;
        return context;
    }

    [Theory]
    [InlineData(MetadataBuilder.Paths.Token, "POST")]
    [InlineData(MetadataBuilder.Paths.TokenAlias, "POST")]
    [InlineData(MetadataBuilder.Paths.Revocation, "POST")]
    [InlineData(MetadataBuilder.Paths.UserInfo, "GET, POST")]
    [InlineData(MetadataBuilder.Paths.EndSession, "GET, POST")]
    [InlineData(MetadataBuilder.Paths.Jwks, "GET")]
    [InlineData(MetadataBuilder.Paths.OpenIdConfiguration, "GET")]
    [InlineData(ProtectedResourceMetadata.WellKnown + "/api/now/table/incident", "GET")]
    public async Task APreflightFromARegisteredOriginIsAnsweredHereWithTheEndpointsMethods(string path, string methods)
    {
        var context = Preflight(path, App);

        await Gate().InvokeAsync(context);

        var headers = context.Response.Headers;
        Assert.Equal(StatusCodes.Status204NoContent, context.Response.StatusCode);
        Assert.Equal(App, headers.AccessControlAllowOrigin.ToString());
        Assert.Equal(methods, headers.AccessControlAllowMethods.ToString());
        Assert.Equal(CorsGate.AllowedHeaders, headers.AccessControlAllowHeaders.ToString());
        Assert.Equal(CorsGate.MaxAgeSeconds, headers.AccessControlMaxAge.ToString());
        Assert.Equal("Origin", headers.Vary.ToString());
        Assert.False(headers.ContainsKey("Access-Control-Allow-Credentials"));
        Assert.Equal(0, _forwarded);
    }

    [Fact]
    public async Task APreflightFromAnyOtherOriginIsRefusedAndLearnsNothing()
    {
        var context = Preflight(MetadataBuilder.Paths.Token, "https://evil.example");

        await Gate().InvokeAsync(context);

        var headers = context.Response.Headers;
        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.False(headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.False(headers.ContainsKey("Access-Control-Allow-Methods"));
        Assert.Equal("Origin", headers.Vary.ToString());
        Assert.Equal(0, _forwarded);
    }

    [Fact]
    public async Task ACallFromARegisteredOriginIsForwardedAndItsAnswerOpenedToThatOrigin()
    {
        var (context, response) = Http.Starting(HttpMethods.Get, MetadataBuilder.Paths.UserInfo);
        context.Request.Headers.Origin = App;

        await Gate().InvokeAsync(context);
        await response.StartAsync();

        var headers = context.Response.Headers;
        Assert.Equal(1, _forwarded);
        Assert.Equal(App, headers.AccessControlAllowOrigin.ToString());
        Assert.Equal(CorsGate.ExposedHeaders, headers.AccessControlExposeHeaders.ToString());
        Assert.Equal("Origin", headers.Vary.ToString());
    }

    [Fact]
    public async Task ACallFromAnUnregisteredOriginIsForwardedButItsAnswerStaysClosed()
    {
        var (context, response) = Http.Starting(HttpMethods.Post, MetadataBuilder.Paths.Token);
        context.Request.Headers.Origin = "https://evil.example";

        await Gate().InvokeAsync(context);
        await response.StartAsync();

        var headers = context.Response.Headers;
        Assert.Equal(1, _forwarded);
        Assert.False(headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.False(headers.ContainsKey("Access-Control-Expose-Headers"));
        Assert.Equal("Origin", headers.Vary.ToString());
    }

    [Fact]
    public async Task TheIssuersOwnPagesAreSameOriginAndNeedNoDecision()
    {
        var (context, response) = Http.Starting(HttpMethods.Post, MetadataBuilder.Paths.EndSession);
        context.Request.Headers.Origin = Issuer;

        await Gate().InvokeAsync(context);
        await response.StartAsync();

        Assert.Equal(1, _forwarded);
        Assert.False(context.Response.Headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.Equal("Origin", context.Response.Headers.Vary.ToString());
        Assert.Empty(_registry.Requests<ListAllowedOriginsRequest>("ListAllowedOrigins"));
    }

    [Theory]
    [InlineData(MetadataBuilder.Paths.Authorization)]
    [InlineData(MetadataBuilder.Paths.Introspection)]
    [InlineData("/api/now/table/incident")]
    [InlineData("/api/admin/clients")]
    public async Task OtherPathsAreNeverOpenedCrossOrigin(string path)
    {
        var (context, response) = Http.Starting(HttpMethods.Options, path);
        context.Request.Headers.Origin = App;
        context.Request.Headers.AccessControlRequestMethod = HttpMethods.Post;

        await Gate().InvokeAsync(context);
        await response.StartAsync();

        Assert.Equal(1, _forwarded);
        Assert.False(context.Response.Headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.False(context.Response.Headers.ContainsKey("Vary"));
        Assert.Empty(_registry.Requests<ListAllowedOriginsRequest>("ListAllowedOrigins"));
    }
}
