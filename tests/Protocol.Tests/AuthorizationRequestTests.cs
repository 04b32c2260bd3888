using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

public class AuthorizationRequestTests
{
    private const string Redirect = "https://app.example.com/cb";
    private static readonly string Challenge = Pkce.ChallengeOf(new string('v', 50));

    private static ClientProfile Client(bool isPublic = false, bool pkce = false, string[]? redirects = null, params string[] grants) =>
        new("web-client-1", true, isPublic, pkce, redirects ?? [Redirect],
            (grants.Length == 0 ? ["authorization_code"] : grants).ToHashSet());

    private static AuthorizationValidation Validate(ClientProfile? client, params (string, string?)[] extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["client_id"] = "web-client-1",
            ["response_type"] = "code",
            ["redirect_uri"] = Redirect,
            ["state"] = "xyz",
            ["scope"] = "openid profile",
        };
        foreach (var (k, v) in extra)
        {
            values[k] = v;
        }

        return AuthorizationRequestValidator.Validate(RequestParameters.Of(values.Where(kv => kv.Value is not null).Select(kv => (kv.Key, kv.Value)).ToArray()),
            client, new AuthorizeSettings());
    }

    private static string RedirectError(AuthorizationValidation validation) => Assert.IsType<AuthorizationValidation.ErrorRedirect>(validation).Error;

    [Fact]
    public void AValidCodeRequestPasses()
    {
        var request = Assert.IsType<AuthorizationValidation.Valid>(Validate(Client())).Request;
        Assert.Equal(Redirect, request.RedirectUri);
        Assert.Equal("query", request.ResponseMode);
        Assert.Equal(["openid", "profile"], request.Scopes);
        Assert.True(request.RedirectUriSent);
    }

    [Fact]
    public void AnUnknownClientGetsAnErrorPageNotARedirect() => Assert.IsType<AuthorizationValidation.ErrorPage>(Validate(null));

    [Fact]
    public void AnInactiveClientGetsAnErrorPage() =>
        Assert.IsType<AuthorizationValidation.ErrorPage>(Validate(Client() with { Active = false }));

    [Fact]
    public void AnUnregisteredRedirectUriGetsAnErrorPageNeverARedirect() =>
        Assert.IsType<AuthorizationValidation.ErrorPage>(Validate(Client(), ("redirect_uri", "https://evil.example.com/cb")));

    [Fact]
    public void AMissingRedirectUriWithSeveralRegisteredGetsAnErrorPage() =>
        Assert.IsType<AuthorizationValidation.ErrorPage>(Validate(Client(redirects: [Redirect, "https://app.example.com/cb2"]), ("redirect_uri", null), ("scope", "profile")));

    [Fact]
    public void AMissingRedirectUriWithOpenIdGetsAnErrorPage() =>
        Assert.IsType<AuthorizationValidation.ErrorPage>(Validate(Client(), ("redirect_uri", null)));

    [Fact]
    public void AClientWithOneRegisteredUriMayOmitItOutsideOpenIdConnect()
    {
        var request = Assert.IsType<AuthorizationValidation.Valid>(Validate(Client(), ("redirect_uri", null), ("scope", "profile"))).Request;
        Assert.Equal(Redirect, request.RedirectUri);
        Assert.False(request.RedirectUriSent);
    }

    [Fact]
    public void ARepeatedParameterGetsAnErrorPage() =>
        Assert.IsType<AuthorizationValidation.ErrorPage>(AuthorizationRequestValidator.Validate(
            RequestParameters.Of(("client_id", "web-client-1"), ("redirect_uri", Redirect), ("response_type", "code"), ("state", "a"), ("state", "b")),
            Client(), new AuthorizeSettings()));

    [Fact]
    public void AnUnknownResponseTypeIsRedirectedAsUnsupported() =>
        Assert.Equal("unsupported_response_type", RedirectError(Validate(Client(), ("response_type", "code id_token"))));

    [Fact]
    public void AClientNotAllowedTheCodeGrantIsUnauthorized() =>
        Assert.Equal("unauthorized_client", RedirectError(Validate(Client(grants: "client_credentials"))));

    [Fact]
    public void AMissingStateIsAnInvalidRequestWhenRequired() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(), ("state", null))));

    [Fact]
    public void StateMayBeOmittedWhenTheSettingAllows() =>
        Assert.IsType<AuthorizationValidation.Valid>(AuthorizationRequestValidator.Validate(
            RequestParameters.Of(("client_id", "web-client-1"), ("redirect_uri", Redirect), ("response_type", "code")), Client(), new AuthorizeSettings(RequireState: false)));

    [Fact]
    public void APublicClientMustSendACodeChallenge() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(isPublic: true))));

    [Fact]
    public void AConfidentialClientWithPkceRequiredMustSendACodeChallenge() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(pkce: true))));

    [Fact]
    public void AMissingChallengeMethodMeansPlainWhichIsRefused() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(isPublic: true), ("code_challenge", Challenge))));

    [Fact]
    public void ThePlainMethodIsRefused() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(isPublic: true), ("code_challenge", Challenge), ("code_challenge_method", "plain"))));

    [Fact]
    public void AMalformedChallengeIsRefused() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(isPublic: true), ("code_challenge", "short"), ("code_challenge_method", "S256"))));

    [Fact]
    public void AnS256ChallengeIsAccepted()
    {
        var request = Assert.IsType<AuthorizationValidation.Valid>(Validate(Client(isPublic: true), ("code_challenge", Challenge), ("code_challenge_method", "S256"))).Request;
        Assert.Equal(Challenge, request.CodeChallenge);
    }

    [Fact]
    public void PromptNoneCannotBeCombined() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(), ("prompt", "none login"))));

    [Fact]
    public void AnUnknownPromptIsRefused() => Assert.Equal("invalid_request", RedirectError(Validate(Client(), ("prompt", "select_everything"))));

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    public void MaxAgeMustBeANonNegativeInteger(string maxAge) => Assert.Equal("invalid_request", RedirectError(Validate(Client(), ("max_age", maxAge))));

    [Fact]
    public void AMalformedScopeIsInvalidScope() => Assert.Equal("invalid_scope", RedirectError(Validate(Client(), ("scope", "a\"b"))));

    [Fact]
    public void AnUnsupportedResponseModeIsRefused() => Assert.Equal("invalid_request", RedirectError(Validate(Client(), ("response_mode", "web_message"))));

    [Fact]
    public void ErrorsCarryTheStateBack() =>
        Assert.Equal("xyz", Assert.IsType<AuthorizationValidation.ErrorRedirect>(Validate(Client(), ("response_type", "bogus"))).State);

    [Fact]
    public void ImplicitTokensAreNeverSentInTheQuery() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(grants: "implicit"), ("response_type", "token"), ("response_mode", "query"))));

    [Fact]
    public void ImplicitIsRefusedForAClientWithoutIt() =>
        Assert.Equal("unauthorized_client", RedirectError(Validate(Client(), ("response_type", "token"))));

    [Fact]
    public void IdTokenTokenNeedsANonce() =>
        Assert.Equal("invalid_request", RedirectError(Validate(Client(grants: "implicit"), ("response_type", "id_token token"))));

    [Fact]
    public void AnImplicitErrorGoesInTheFragment() =>
        Assert.Equal("fragment", Assert.IsType<AuthorizationValidation.ErrorRedirect>(Validate(Client(), ("response_type", "token"))).ResponseMode);

    [Fact]
    public void SeveralResourcesAreKeptForTheGrant()
    {
        var request = Assert.IsType<AuthorizationValidation.Valid>(Validate(Client(), ("resource", "https://api.example.com/a"))).Request;
        Assert.Equal(["https://api.example.com/a"], request.Resources);
    }

    [Fact]
    public void AMalformedOrUnknownResourceIsInvalidTargetAtTheRedirectUri()
    {
        Assert.Equal("invalid_target", RedirectError(Validate(Client(), ("resource", "https://api.example.com/a#x"))));
        var known = new Resources.ApiResources([new Policies.ApiPolicy("A", "/api/a", [new Policies.ApiRule([], "/api/a/**", ["a"])], "https://api.example.com/a")]);
        var parameters = RequestParameters.Of(("client_id", "web-client-1"), ("response_type", "code"), ("redirect_uri", Redirect), ("state", "s"),
            ("resource", "https://api.example.com/b"));
        Assert.Equal("invalid_target", RedirectError(AuthorizationRequestValidator.Validate(parameters, Client(), new AuthorizeSettings(Resources: known))));
        Assert.IsType<AuthorizationValidation.Valid>(AuthorizationRequestValidator.Validate(
            RequestParameters.Of(("client_id", "web-client-1"), ("response_type", "code"), ("redirect_uri", Redirect), ("state", "s"), ("resource", "https://api.example.com/a")),
            Client(), new AuthorizeSettings(Resources: known)));
    }
}
