using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9126: the request URIs, what a push may not carry, and what is kept of it.</summary>
public class PushedAuthorizationTests
{
    [Fact]
    public void ARequestUriIsAFreshUrnFoundOnlyByItsOwnHash()
    {
        var (first, hash) = PushedAuthorization.NewRequestUri();
        var (second, _) = PushedAuthorization.NewRequestUri();

        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", first);
        Assert.NotEqual(first, second);
        Assert.Equal(hash, PushedAuthorization.HashOf(first));
        Assert.NotEqual(hash, PushedAuthorization.HashOf(second));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://client.example.com/request.jwt")]
    [InlineData("urn:ietf:params:oauth:request_uri:short")]
    [InlineData("urn:example:request_uri:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void AnythingThisServerCannotHaveIssuedHasNoHash(string? requestUri) => Assert.Null(PushedAuthorization.HashOf(requestUri));

    [Fact]
    public void APushMayNotPointAtAnotherRequestNorNameAnotherClient()
    {
        Assert.Equal("invalid_request", PushedAuthorization.CheckPush(RequestParameters.Of(("request_uri", "urn:x")), "app")?.Error);
        Assert.Equal("invalid_request", PushedAuthorization.CheckPush(RequestParameters.Of(("client_id", "other")), "app")?.Error);
        Assert.Null(PushedAuthorization.CheckPush(RequestParameters.Of(("client_id", "app"), ("response_type", "code")), "app"));
    }

    [Fact]
    public void TheAuthorizationEndpointsVerdictBecomesTheJsonError()
    {
        Assert.Equal("invalid_request", PushedAuthorization.ErrorOf(new AuthorizationValidation.ErrorPage("bad redirect"))?.Error);
        var redirect = PushedAuthorization.ErrorOf(new AuthorizationValidation.ErrorRedirect("https://app/cb", "query", "invalid_scope", "no", null));
        Assert.Equal(("invalid_scope", 400), (redirect?.Error, redirect?.StatusCode));
        var implicitFlow = new ValidatedAuthorizationRequest
        {
            ClientId = "app", ResponseType = "token", RedirectUri = "https://app/cb", RedirectUriSent = true, ResponseMode = "fragment", Scopes = [],
        };
        Assert.Equal("unsupported_response_type", PushedAuthorization.ErrorOf(new AuthorizationValidation.Valid(implicitFlow))?.Error);
        Assert.Null(PushedAuthorization.ErrorOf(new AuthorizationValidation.Valid(implicitFlow with { ResponseType = "code" })));
    }

    [Fact]
    public void CredentialsAreNeverKeptAndTheClientIsNamed()
    {
        var stored = PushedAuthorization.Stored(RequestParameters.Of(("response_type", "code"), ("client_secret", "s3cret"),
            ("client_assertion", "eyJ"), ("client_assertion_type", "urn:x"), ("scope", "openid"), ("state", "")), "app");

        Assert.Equal(new Dictionary<string, string> { ["response_type"] = "code", ["scope"] = "openid", ["client_id"] = "app" }, stored);
    }

    [Fact]
    public void TheMetadataNamesTheEndpointAndAcceptsRequestUris()
    {
        var metadata = MetadataBuilder.Build(Issuer.Create("https://id.example.com", false), ["openid"]);

        Assert.Equal("https://id.example.com/oauth/par", metadata.PushedAuthorizationRequestEndpoint);
        Assert.False(metadata.RequirePushedAuthorizationRequests);
        Assert.True(metadata.RequestUriParameterSupported);
    }
}
