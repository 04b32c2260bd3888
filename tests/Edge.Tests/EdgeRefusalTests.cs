using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// What the edge answers itself takes the form of the endpoint asked: ProblemDetails on the admin
/// APIs, a page on the browser's sign-in pages, RFC 6749 error JSON everywhere else; never cached;
/// and a refused body is read first, so the caller sees the answer, except a 413's, which ends the connection.
/// </summary>
public class EdgeRefusalTests
{
    [Theory]
    [InlineData("/api/admin", RefusalForm.Problem)]
    [InlineData("/api/admin/clients/billing-app", RefusalForm.Problem)]
    [InlineData("/api/administrators", RefusalForm.OAuthJson)]
    [InlineData("/api/now/table/incident", RefusalForm.OAuthJson)]
    [InlineData(MetadataBuilder.Paths.Authorization, RefusalForm.Page)]
    [InlineData(MetadataBuilder.Paths.AuthorizationAlias, RefusalForm.Page)]
    [InlineData(MetadataBuilder.Paths.Login, RefusalForm.Page)]
    [InlineData(MetadataBuilder.Paths.Consent + "/decide", RefusalForm.Page)]
    [InlineData(MetadataBuilder.Paths.EndSession, RefusalForm.Page)]
    [InlineData(MetadataBuilder.Paths.Device, RefusalForm.Page)]
    [InlineData("/devices", RefusalForm.OAuthJson)]
    [InlineData(MetadataBuilder.Paths.DeviceAuthorization, RefusalForm.OAuthJson)]
    [InlineData("/oauth/loginx", RefusalForm.OAuthJson)]
    [InlineData(MetadataBuilder.Paths.Token, RefusalForm.OAuthJson)]
    [InlineData(MetadataBuilder.Paths.TokenAlias, RefusalForm.OAuthJson)]
    [InlineData(MetadataBuilder.Paths.UserInfo, RefusalForm.OAuthJson)]
    public void EachPathIsAnsweredInTheFormItsEndpointSpeaksMatchedBySegment(string path, RefusalForm form) =>
        Assert.Equal(form, EdgeRefusal.FormFor(path));

    [Fact]
    public async Task AnAdminApiRefusalIsProblemDetailsWithItsStatusAndRetryAfter()
    {
        var context = Http.Context(HttpMethods.Post, "/api/admin/clients");

        await EdgeRefusal.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "1", RefusalForm.Problem, "Service Unavailable",
            "The registry is away.", "A page would say this.");

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("no-store", context.Response.Headers.CacheControl.ToString());
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
        using var body = JsonDocument.Parse(await Http.BodyAsync(context));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Service Unavailable", body.RootElement.GetProperty("title").GetString());
        Assert.Equal("The registry is away.", body.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ASignInPageRefusalIsASmallPageThatRunsNothingAndCannotBeFramed()
    {
        var context = Http.Context(HttpMethods.Post, MetadataBuilder.Paths.Login);

        await EdgeRefusal.WriteAsync(context, StatusCodes.Status429TooManyRequests, "12", RefusalForm.Page, "Too many attempts",
            "Too many requests; try again after the time in Retry-After.", "Please wait a moment before trying again.");

        Assert.Equal(StatusCodes.Status429TooManyRequests, context.Response.StatusCode);
        Assert.Equal("12", context.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith("text/html", context.Response.ContentType);
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", context.Response.Headers.ContentSecurityPolicy.ToString());
        var page = await Http.BodyAsync(context);
        Assert.Contains("<h1>Too many attempts</h1>", page, StringComparison.Ordinal);
        Assert.Contains("Please wait a moment before trying again.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Retry-After", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOAuthRefusalIsErrorJsonWithTheChallengeWhenOneIsGiven()
    {
        var context = Http.Context(HttpMethods.Get, "/api/now/table/incident");

        await EdgeRefusal.WriteAsync(context, StatusCodes.Status401Unauthorized, null, RefusalForm.OAuthJson, "Unauthorized", "The token expired.",
            "unused", "invalid_token", "Bearer error=\"invalid_token\"");

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.False(context.Response.Headers.ContainsKey("Retry-After"));
        Assert.Equal("Bearer error=\"invalid_token\"", context.Response.Headers.WWWAuthenticate.ToString());
        using var body = JsonDocument.Parse(await Http.BodyAsync(context));
        Assert.Equal("invalid_token", body.RootElement.GetProperty("error").GetString());
        Assert.Equal("The token expired.", body.RootElement.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task WithoutAnErrorCodeTheOAuthFormHasNoBody()
    {
        var context = Http.Context(HttpMethods.Get, "/api/now/table/incident");

        await EdgeRefusal.WriteAsync(context, StatusCodes.Status401Unauthorized, null, RefusalForm.OAuthJson, "Unauthorized", "An access token is required.",
            "unused", oauthError: null, challenge: "Bearer");

        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Empty(await Http.BodyAsync(context));
    }

    [Fact]
    public async Task ARefusedBodyIsReadToItsEndSoTheConnectionStaysUsable()
    {
        var context = Http.Form(MetadataBuilder.Paths.Token, "203.0.113.7", ("grant_type", "client_credentials"));
        var body = context.Request.Body;

        await EdgeRefusal.WriteAsync(context, StatusCodes.Status429TooManyRequests, "1", RefusalForm.OAuthJson, "Too Many Requests", "Slow down.", "unused");

        Assert.Equal(body.Length, body.Position);
        Assert.False(context.Response.Headers.ContainsKey("Connection"));
    }

    [Fact]
    public async Task ATooLargeBodyIsNotReadAndTheConnectionIsClosedAfterTheAnswer()
    {
        var context = Http.Context(HttpMethods.Post, MetadataBuilder.Paths.Token);
        var bytes = Encoding.UTF8.GetBytes(new string('x', 4096));
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);

        await EdgeRefusal.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, null, RefusalForm.OAuthJson, "Payload Too Large", "Too large.", "unused",
            "invalid_request");

        Assert.Equal(0L, context.Request.Body.Position);
        Assert.Equal("close", context.Response.Headers.Connection.ToString());
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, context.Response.StatusCode);
    }
}
