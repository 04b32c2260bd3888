using System.Text;
using Microsoft.AspNetCore.Http;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// What each limit is keyed on: the sign-in form by the typed user name whatever its case or
/// spaces, the token endpoint by address, failing address and the client that succeeded (read
/// from Basic authentication or the form), never charging a client for requests that only named it.
/// </summary>
public class RateLimitGateTests
{
    private readonly FakeAuditSink _audit = new();
    private int _forwarded;
    private int _answerStatus = StatusCodes.Status200OK;

    private RateLimitGate Gate(RateLimits limits) => new(context =>
    {
        _forwarded++;
        context.Response.StatusCode = _answerStatus;
        return Task.CompletedTask;
    }, limits);

    [Fact]
    public async Task TheSignInLimitCountsATypedNameWhateverItsCaseOrSurroundingSpaces()
    {
        using var limits = RateLimitsTests.Limits(_audit, o => o.LoginPerUser = new RateRule { Permits = 2 });
        var gate = Gate(limits);

        await gate.InvokeAsync(Http.Form(MetadataBuilder.Paths.Login, "203.0.113.7", ("username", "Ada"), ("password", "wrong-1")));
        await gate.InvokeAsync(Http.Form(MetadataBuilder.Paths.Login, "203.0.113.8", ("username", "  ada "), ("password", "wrong-2")));
        var third = Http.Form(MetadataBuilder.Paths.Login, "203.0.113.9", ("username", "ADA"), ("password", "wrong-3"));
        await gate.InvokeAsync(third);
        var other = Http.Form(MetadataBuilder.Paths.Login, "203.0.113.9", ("username", "grace"), ("password", "wrong-4"));
        await gate.InvokeAsync(other);

        Assert.Equal(StatusCodes.Status429TooManyRequests, third.Response.StatusCode);
        Assert.StartsWith("text/html", third.Response.ContentType);
        Assert.Equal(StatusCodes.Status200OK, other.Response.StatusCode);
        Assert.Equal(3, _forwarded);
    }

    [Fact]
    public async Task TheFormIsLeftWholeForTheServiceBehind()
    {
        using var limits = RateLimitsTests.Limits(_audit, o => o.LoginPerUser = new RateRule { Permits = 5 });
        var context = Http.Form(MetadataBuilder.Paths.Login, "203.0.113.7", ("username", "ada"), ("password", "s3cret"));

        await Gate(limits).InvokeAsync(context);

        // Rewound and still holding every field: the service reads the same form.
        Assert.Equal(1, _forwarded);
        Assert.Equal(0L, context.Request.Body.Position);
        using var copy = new MemoryStream();
        await context.Request.Body.CopyToAsync(copy);
        Assert.Equal("username=ada&password=s3cret", Encoding.UTF8.GetString(copy.ToArray()));
    }

    [Fact]
    public async Task FailedTokenRequestsAreChargedToTheirAddressNeverToTheClientTheyName()
    {
        using var limits = RateLimitsTests.Limits(_audit, o =>
        {
            o.TokenPerClient = new RateRule { Permits = 1 };
            o.TokenAuthFailuresPerAddress = new RateRule { Permits = 2 };
        });
        var gate = Gate(limits);
        _answerStatus = StatusCodes.Status401Unauthorized;

        // The attacker's address fails twice naming the victim client, then is refused before reaching the service.
        for (var i = 0; i < 2; i++)
        {
            await gate.InvokeAsync(Http.Form(MetadataBuilder.Paths.Token, "192.0.2.66", ("grant_type", "client_credentials"), ("client_id", "victim-app")));
        }

        var blocked = Http.Form(MetadataBuilder.Paths.Token, "192.0.2.66", ("grant_type", "client_credentials"), ("client_id", "victim-app"));
        await gate.InvokeAsync(blocked);
        Assert.Equal(StatusCodes.Status429TooManyRequests, blocked.Response.StatusCode);
        Assert.Equal(2, _forwarded);

        // The victim, from its own address, still has its whole allowance; a success spends it.
        _answerStatus = StatusCodes.Status200OK;
        var victim = Http.Form(MetadataBuilder.Paths.Token, "198.51.100.10", ("grant_type", "client_credentials"), ("client_id", "victim-app"));
        await gate.InvokeAsync(victim);
        Assert.Equal(StatusCodes.Status200OK, victim.Response.StatusCode);

        var again = Http.Form(MetadataBuilder.Paths.Token, "198.51.100.11", ("grant_type", "client_credentials"), ("client_id", "victim-app"));
        await gate.InvokeAsync(again);
        Assert.Equal(StatusCodes.Status429TooManyRequests, again.Response.StatusCode);
        Assert.Equal(3, _forwarded);
    }

    [Fact]
    public async Task AClientAuthenticatedWithBasicIsCountedUnderItsClientId()
    {
        using var limits = RateLimitsTests.Limits(_audit, o => o.TokenPerClient = new RateRule { Permits = 1 });
        var gate = Gate(limits);

        HttpContext Basic(string clientId)
        {
            var context = Http.Form(MetadataBuilder.Paths.Token, "203.0.113.7", ("grant_type", "client_credentials"));
            context.Request.Headers.Authorization = "Basic " + ClientAuthentication.EncodeBasic(clientId, "a-secret-of-the-client");
            return context;
        }

        var first = Basic("billing-app");
        await gate.InvokeAsync(first);
        var second = Basic("billing-app");
        await gate.InvokeAsync(second);
        var other = Basic("reporting-app");
        await gate.InvokeAsync(other);

        Assert.Equal(StatusCodes.Status200OK, first.Response.StatusCode);
        Assert.Equal(StatusCodes.Status429TooManyRequests, second.Response.StatusCode);
        Assert.Equal(StatusCodes.Status200OK, other.Response.StatusCode);
        var limited = Assert.IsType<RateLimited>(Assert.Single(_audit.Events));
        Assert.Equal("billing-app", limited.Key);
    }

    [Fact]
    public async Task WhereAFlowStartsAnIpv6SenderIsCountedByItsSlash64()
    {
        using var limits = RateLimitsTests.Limits(_audit, o =>
        {
            o.AuthorizePerAddress = new RateRule { Permits = 1 };
            o.TokenPerAddress = new RateRule { Permits = 1 };
        });
        var gate = Gate(limits);

        foreach (var path in new[] { MetadataBuilder.Paths.Authorization, MetadataBuilder.Paths.PushedAuthorization })
        {
            var first = Http.Context(path == MetadataBuilder.Paths.Authorization ? HttpMethods.Get : HttpMethods.Post, path, "2001:db8:1:2::10");
            await gate.InvokeAsync(first);
            var neighbour = Http.Context(path == MetadataBuilder.Paths.Authorization ? HttpMethods.Get : HttpMethods.Post, path, "2001:db8:1:2:ffff::99");
            await gate.InvokeAsync(neighbour);
            var another = Http.Context(path == MetadataBuilder.Paths.Authorization ? HttpMethods.Get : HttpMethods.Post, path, "2001:db8:1:2:aaaa::1");
            await gate.InvokeAsync(another);
            var otherNetwork = Http.Context(path == MetadataBuilder.Paths.Authorization ? HttpMethods.Get : HttpMethods.Post, path, "2001:db8:1:3::10");
            await gate.InvokeAsync(otherNetwork);

            Assert.Equal(StatusCodes.Status429TooManyRequests, neighbour.Response.StatusCode);
            Assert.Equal(StatusCodes.Status429TooManyRequests, another.Response.StatusCode);
            Assert.NotEqual(StatusCodes.Status429TooManyRequests, otherNetwork.Response.StatusCode);
        }

        // Refused under the /64 too: changing the low bits gets no new audit event (one per limit, key and window).
        var refusals = _audit.Events.OfType<RateLimited>().ToArray();
        Assert.Equal(2, refusals.Length);
        Assert.All(refusals, r => Assert.Equal("2001:db8:1:2::/64", r.Key));
    }

    [Fact]
    public async Task TheApisAreLimitedPerAddressBeforeAnyTokenIsLookedAt()
    {
        using var limits = RateLimitsTests.Limits(_audit, o => o.ApiPerAddress = new RateRule { Permits = 1 });
        var gate = Gate(limits);

        var first = Http.Context(HttpMethods.Get, "/api/now/table/incident", "192.0.2.66");
        await gate.InvokeAsync(first);
        var second = Http.Context(HttpMethods.Get, "/api/now/table/problem", "192.0.2.66");
        second.Request.Headers.Authorization = "Bearer junk";
        await gate.InvokeAsync(second);
        var elsewhere = Http.Context(HttpMethods.Get, "/api/now/table/problem", "192.0.2.67");
        await gate.InvokeAsync(elsewhere);

        Assert.Equal(StatusCodes.Status429TooManyRequests, second.Response.StatusCode);
        Assert.Equal(StatusCodes.Status200OK, elsewhere.Response.StatusCode);
        Assert.Equal(2, _forwarded);
    }

    [Fact]
    public async Task ADevicePollingUntilItsUserAnswersIsNoFailureAndTheMarkerStaysInside()
    {
        using var limits = RateLimitsTests.Limits(_audit, o => o.TokenAuthFailuresPerAddress = new RateRule { Permits = 1 });
        var marked = true;
        var gate = new RateLimitGate(async context =>
        {
            _forwarded++;
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            if (marked)
            {
                context.Response.Headers[DevicePolling.PollAnswerHeader] = "1";
            }

            await ((StartingResponse)context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!).StartAsync();
        }, limits);

        // RFC 8628 §3.5: a device behind a NAT polls every few seconds for minutes; none of it counts.
        for (var i = 0; i < 3; i++)
        {
            var poll = StartableForm(MetadataBuilder.Paths.Token, "192.0.2.80", ("grant_type", GrantTypes.DeviceCode), ("client_id", "tv-app"), ("device_code", "x"));
            await gate.InvokeAsync(poll);
            Assert.Equal(StatusCodes.Status400BadRequest, poll.Response.StatusCode);
            Assert.False(poll.Response.Headers.ContainsKey(DevicePolling.PollAnswerHeader));
        }

        // Any other 400 naming a client is charged to the address as before.
        marked = false;
        await gate.InvokeAsync(StartableForm(MetadataBuilder.Paths.Token, "192.0.2.80", ("grant_type", GrantTypes.DeviceCode), ("client_id", "tv-app"), ("device_code", "junk")));
        var refused = StartableForm(MetadataBuilder.Paths.Token, "192.0.2.80", ("grant_type", GrantTypes.DeviceCode), ("client_id", "tv-app"), ("device_code", "x"));
        await gate.InvokeAsync(refused);
        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Response.StatusCode);
        Assert.Equal(4, _forwarded);
    }

    /// <summary>A form request whose response runs its OnStarting callbacks when started, as a server's does.</summary>
    private static HttpContext StartableForm(string path, string address, params (string Name, string Value)[] fields)
    {
        var context = Http.Form(path, address, fields);
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>(new StartingResponse { Body = new MemoryStream() });
        return context;
    }
}
