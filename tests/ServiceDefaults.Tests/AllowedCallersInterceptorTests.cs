using System.Net;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// Each RPC admits only the services its attribute names, whatever kind of handler it is: no valid
/// token is UNAUTHENTICATED, a valid caller not on the list (or an RPC without a list) is
/// PERMISSION_DENIED, and every refusal is audited without the token.
/// </summary>
public class AllowedCallersInterceptorTests
{
    private const string Method = "/oauthaspire.clientregistry.v1.ClientRegistry/GetClient";
    private static readonly string EdgeKey = ServiceKeys.NewPrivateKey();
    private static readonly string TokenKey = ServiceKeys.NewPrivateKey();

    private readonly ManualClock _clock = new();
    private readonly FakeAuditSink _audit = new();
    private readonly AllowedCallersInterceptor _interceptor;

    public AllowedCallersInterceptorTests() =>
        _interceptor = new AllowedCallersInterceptor(
            ServiceIdentities.Verifier("client-registry", _clock, ("edge", EdgeKey), ("token", TokenKey)),
            NullLogger<AllowedCallersInterceptor>.Instance, _audit);

    private string TokenOf(string caller, string key)
    {
        using var signer = ServiceIdentities.Signer(caller, key, _clock);
        return signer.TokenFor("client-registry");
    }

    [Fact]
    public async Task ACallerOnTheListIsAdmitted()
    {
        var context = Call(TokenOf("edge", EdgeKey), new AllowedCallersAttribute(ServiceNames.Edge, ServiceNames.Authorize));

        var reply = await _interceptor.UnaryServerHandler("request", context, (request, _) => Task.FromResult("reply to " + request));

        Assert.Equal("reply to request", reply);
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task AValidCallerNotOnTheListIsDeniedAndAudited()
    {
        var token = TokenOf("token", TokenKey);
        var context = Call(token, new AllowedCallersAttribute(ServiceNames.Edge));

        var e = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler("request", context, Unreachable));

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        var refused = Assert.IsType<InternalCallRefused>(Assert.Single(_audit.Events));
        Assert.Equal("token", refused.Caller);
        Assert.Equal(Method, refused.Method);
        Assert.Equal(AllowedCallersInterceptor.NotAllowed, refused.Problem);
        Assert.Equal(AuditOutcome.Failure, refused.Outcome);
        Assert.Equal("203.0.113.5", refused.RemoteAddress);
        var json = JsonSerializer.Serialize(refused, AuditCloudEvent.DataJson);
        Assert.DoesNotContain(token, json, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACallWithoutATokenIsUnauthenticatedAndAudited()
    {
        var context = Call(null, new AllowedCallersAttribute(ServiceNames.Edge));

        var e = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler("request", context, Unreachable));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        var refused = Assert.IsType<InternalCallRefused>(Assert.Single(_audit.Events));
        Assert.Equal("(none)", refused.Caller);
        Assert.Equal("no service token", refused.Problem);
    }

    [Fact]
    public async Task AnInvalidTokenIsUnauthenticatedAndItsClaimAuditedAsUnverified()
    {
        // The edge's name, but the token service's key.
        var forged = ServiceIdentities.Mint(TokenKey, "edge", "client-registry", _clock.Now);
        var context = Call(forged, new AllowedCallersAttribute(ServiceNames.Edge));

        var e = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler("request", context, Unreachable));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        var refused = Assert.IsType<InternalCallRefused>(Assert.Single(_audit.Events));
        Assert.Equal("unverified:edge", refused.Caller);
        Assert.DoesNotContain(forged, JsonSerializer.Serialize(refused, AuditCloudEvent.DataJson), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMethodWithoutTheAttributeOrWithAnEmptyListIsDeniedToEveryone()
    {
        foreach (var allowed in new[] { null, new AllowedCallersAttribute() })
        {
            var context = Call(TokenOf("edge", EdgeKey), allowed);
            var e = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler("request", context, Unreachable));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        }
    }

    [Fact]
    public async Task EveryStreamingHandlerIsGuardedToo()
    {
        var allowed = new AllowedCallersAttribute(ServiceNames.Edge);
        var ran = 0;

        // Without a token: refused before the handler runs.
        await Refused(() => _interceptor.ServerStreamingServerHandler<string, string>("request", null!, Call(null, allowed), (_, _, _) => Step()));
        await Refused(() => _interceptor.ClientStreamingServerHandler<string, string>(null!, Call(null, allowed), (_, _) => Reply("reply")));
        await Refused(() => _interceptor.DuplexStreamingServerHandler<string, string>(null!, null!, Call(null, allowed), (_, _, _) => Step()));
        Assert.Equal(0, ran);
        Assert.Equal(3, _audit.Events.Count);

        // With the edge's token: each runs.
        var edge = TokenOf("edge", EdgeKey);
        await _interceptor.ServerStreamingServerHandler<string, string>("request", null!, Call(edge, allowed), (_, _, _) => Step());
        Assert.Equal("reply", await _interceptor.ClientStreamingServerHandler<string, string>(null!, Call(edge, allowed), (_, _) => Reply("reply")));
        await _interceptor.DuplexStreamingServerHandler<string, string>(null!, null!, Call(edge, allowed), (_, _, _) => Step());
        Assert.Equal(3, ran);

        Task Step() => Reply<object?>(null);

        Task<T> Reply<T>(T result)
        {
            ran++;
            return Task.FromResult(result);
        }

        static async Task Refused(Func<Task> call) =>
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(call)).StatusCode);
    }

    [Fact]
    public async Task ARefusalIsStillAnsweredWhenTheAuditCannotBeWritten()
    {
        var interceptor = new AllowedCallersInterceptor(ServiceIdentities.Verifier("client-registry", _clock, ("edge", EdgeKey)),
            NullLogger<AllowedCallersInterceptor>.Instance, new FakeAuditSink { Failure = new TimeoutException("database away") });

        var e = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler("request", Call(null, new AllowedCallersAttribute()), Unreachable));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    private static Task<string> Unreachable(string request, ServerCallContext context) =>
        throw new InvalidOperationException("the handler ran for a refused call");

    /// <summary>A call as Grpc.AspNetCore presents it: the HttpContext (with the method's endpoint metadata) reachable from the call context.</summary>
    private static TestCallContext Call(string? serviceToken, AllowedCallersAttribute? allowed)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.5");
        http.SetEndpoint(new Endpoint(null, allowed is null ? new EndpointMetadataCollection() : new EndpointMetadataCollection(allowed), Method));
        var headers = new Metadata();
        if (serviceToken is not null)
        {
            headers.Add(InternalGrpc.ServiceTokenHeader, serviceToken);
        }

        return new TestCallContext(Method, headers, http);
    }

    private sealed class TestCallContext(string method, Metadata headers, HttpContext http) : ServerCallContext
    {
        // Where Grpc.AspNetCore's GetHttpContext() finds the HttpContext of a custom call context.
        private readonly Dictionary<object, object> _userState = new() { ["__HttpContext"] = http };

        protected override string MethodCore => method;
        protected override string HostCore => "localhost";
        protected override string PeerCore => "ipv4:203.0.113.5:50000";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => headers;
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, new Dictionary<string, List<AuthProperty>>());
        protected override IDictionary<object, object> UserStateCore => _userState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}

/// <summary>Keeps what would be written to the outbox.</summary>
internal sealed class FakeAuditSink : IAuditSink
{
    public List<AuditEvent> Events { get; } = [];

    public Exception? Failure { get; init; }

    public Task WriteAsync(NpgsqlTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        WriteAsync(auditEvent, cancellationToken);

    public async Task WriteAsync(NpgsqlTransaction transaction, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default)
    {
        foreach (var auditEvent in auditEvents)
        {
            await WriteAsync(auditEvent, cancellationToken);
        }
    }

    public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        if (Failure is not null)
        {
            return Task.FromException(Failure);
        }

        lock (Events)
        {
            Events.Add(auditEvent);
        }

        return Task.CompletedTask;
    }
}
