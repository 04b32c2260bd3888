using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// The API gate's refusals: the status, challenge and body for each, ProblemDetails and an audit
/// event for every refusal on the admin APIs, an audit event for a lacking scope on the others.
/// </summary>
public class ApiRefusalsTests
{
    private const string TablePath = "/api/now/table/incident";

    private readonly FakeAuditSink _audit = new();
    private readonly ApiRefusals _refusals;

    public ApiRefusalsTests() => _refusals = new ApiRefusals(_audit, NullLogger<ApiRefusals>.Instance);

    [Fact]
    public async Task ACallerWithoutATokenIsChallengedAndToldNoErrorOffTheAdminApis()
    {
        var context = Http.Context(HttpMethods.Get, TablePath);

        await _refusals.MissingTokenAsync(context, adminApi: false, metadataUrl: null);

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Empty(await Http.BodyAsync(context));
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task BothChallengesNameTheApisProtectedResourceMetadata()
    {
        var context = Http.Context(HttpMethods.Get, TablePath);
        const string metadata = "https://id.example.com/.well-known/oauth-protected-resource/api/now/table";

        await _refusals.MissingTokenAsync(context, adminApi: false, metadata);

        Assert.Equal($"Bearer resource_metadata=\"{metadata}\", DPoP algs=\"ES256 ES384 PS256 RS256\", resource_metadata=\"{metadata}\"",
            context.Response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task EveryRefusalOnTheAdminApisIsProblemDetailsAndAudited()
    {
        var context = Http.Context(HttpMethods.Delete, "/api/admin/clients/billing-app", "198.51.100.23");

        await _refusals.MissingTokenAsync(context, adminApi: true, metadataUrl: null);

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
        var refused = Assert.IsType<AdminAccessRefused>(Assert.Single(_audit.Events));
        Assert.Equal(HttpMethods.Delete, refused.Method);
        Assert.Equal("/api/admin/clients/billing-app", refused.Path);
        Assert.Equal(StatusCodes.Status401Unauthorized, refused.Status);
        Assert.Equal(AuditOutcome.Failure, refused.Outcome);
        Assert.Equal("198.51.100.23", refused.RemoteAddress);
    }

    [Fact]
    public async Task AnInvalidTokenIsRefusedWithItsReasonInTheChallengeAndTheBody()
    {
        var context = Http.Context(HttpMethods.Get, TablePath);

        await _refusals.InvalidTokenAsync(context, adminApi: false, "The token expired.", dpopScheme: false);

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal(BearerChallenge.InvalidToken("The token expired."), context.Response.Headers.WWWAuthenticate.ToString());
        using var body = JsonDocument.Parse(await Http.BodyAsync(context));
        Assert.Equal("invalid_token", body.RootElement.GetProperty("error").GetString());
        Assert.Equal("The token expired.", body.RootElement.GetProperty("error_description").GetString());
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task AMalformedAuthorizationHeaderIsABadRequest()
    {
        var context = Http.Context(HttpMethods.Get, TablePath);

        await _refusals.MalformedHeaderAsync(context, adminApi: false);

        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
        Assert.Equal(BearerChallenge.InvalidRequest, context.Response.Headers.WWWAuthenticate.ToString());
        using var body = JsonDocument.Parse(await Http.BodyAsync(context));
        Assert.Equal("invalid_request", body.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ALackingScopeOnAnApiIsForbiddenAndAuditedWithTheScopesThatWouldPass()
    {
        var context = Http.Context(HttpMethods.Post, TablePath);
        var challenge = BearerChallenge.InsufficientScope(["table.write"]);
        var decision = new ApiAccessDecision(["table.read"], new ApiDecision(false, ["table.write"], "tables", "writes need table.write"), challenge,
            "The access token lacks the scope this call needs.");

        await _refusals.InsufficientScopeAsync(context, TablePath, adminApi: false, decision, AuditActor.Client("reporting-app"), dpopScheme: false);

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.Equal(challenge, context.Response.Headers.WWWAuthenticate.ToString());
        using var body = JsonDocument.Parse(await Http.BodyAsync(context));
        Assert.Equal("insufficient_scope", body.RootElement.GetProperty("error").GetString());
        var denied = Assert.IsType<ApiAccessDenied>(Assert.Single(_audit.Events));
        Assert.Equal(new[] { "table.write" }, denied.RequiredScopes);
        Assert.Equal("tables", denied.Policy);
        Assert.Equal("writes need table.write", denied.Reason);
        Assert.Equal("reporting-app", denied.Actor.ClientId);
        Assert.Equal(AuditOutcome.Failure, denied.Outcome);
    }

    [Theory]
    [InlineData(false, "application/json")]
    [InlineData(true, "application/problem+json")]
    public async Task AnUncheckableCallIsUnavailableWithRetryAfterNeverLetThrough(bool adminApi, string contentType)
    {
        var context = Http.Context(HttpMethods.Get, adminApi ? "/api/admin/scopes" : TablePath);

        await _refusals.UnavailableAsync(context, adminApi);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith(contentType, context.Response.ContentType);
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task AnAuditTrailThatIsAwayDoesNotStopTheRefusal()
    {
        _audit.Failure = new RpcException(new Status(StatusCode.Unavailable, "the outbox is away"));
        var context = Http.Context(HttpMethods.Get, "/api/admin/users");

        await _refusals.InvalidTokenAsync(context, adminApi: true, "The token was revoked.", dpopScheme: false);

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
    }
}
