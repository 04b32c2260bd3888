using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// The APIs believe a federated caller's identity only as the edge's signed assertion, for their
/// audience; an assertion is no service token, nor a service token an assertion.
/// </summary>
public class IdentityAssertionTests
{
    private const string Audience = "https://issuer.example/api";
    private static readonly string EdgeKey = ServiceKeys.NewPrivateKey();
    private static readonly string AuthorizeKey = ServiceKeys.NewPrivateKey();

    private static readonly EdgeIdentity Federated = new("u-1", "ada", "partner-app", ["useraccount", "table.read"], ["itil"], "partner-idp");

    private readonly ManualClock _clock = new();

    private IdentityAssertionVerifier Api(string audience = Audience) =>
        new(ServiceIdentities.Verifier("table-api", _clock, ("edge", EdgeKey)).KeysOf("edge"), audience, _clock);

    [Fact]
    public async Task TheEdgesAssertionGivesTheApiTheIdentityItStates()
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        var assertions = new IdentityAssertionSigner(edge, _clock);

        var check = await Api().VerifyAsync(assertions.For(Audience, Federated));

        var identity = Assert.IsType<EdgeIdentity>(check.Identity);
        Assert.Equal(Federated.Subject, identity.Subject);
        Assert.Equal(Federated.UserName, identity.UserName);
        Assert.Equal(Federated.ClientId, identity.ClientId);
        Assert.Equal(Federated.Scopes, identity.Scopes);
        Assert.Equal(Federated.Roles, identity.Roles);
        Assert.Equal(Federated.Trust, identity.Trust);
    }

    [Fact]
    public async Task TheAssertionOfADpopCheckedCallNamesThatCallAndNoOtherCallShares()
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        var assertions = new IdentityAssertionSigner(edge, _clock);
        var checkedCall = Federated with { Trust = null, Binding = EdgeIdentity.DpopBinding, Method = "GET", Path = "/api/now/table/incident" };

        var identity = Assert.IsType<EdgeIdentity>((await Api().VerifyAsync(assertions.For(Audience, checkedCall))).Identity);

        Assert.Equal(EdgeIdentity.DpopBinding, identity.Binding);
        Assert.Equal("GET", identity.Method);
        Assert.Equal("/api/now/table/incident", identity.Path);
        Assert.NotEqual(assertions.For(Audience, checkedCall), assertions.For(Audience, checkedCall with { Path = "/api/now/table/problem" }));
        Assert.NotEqual(assertions.For(Audience, checkedCall), assertions.For(Audience, checkedCall with { Method = "POST" }));
    }

    [Fact]
    public void AnAssertionIsReusedForTheSameIdentityOnlyAndReplacedBeforeItRunsOut()
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        var assertions = new IdentityAssertionSigner(edge, _clock);

        var first = assertions.For(Audience, Federated);
        Assert.Same(first, assertions.For(Audience, Federated with { }));
        Assert.NotEqual(first, assertions.For(Audience, Federated with { Scopes = ["useraccount"] }));
        Assert.NotEqual(first, assertions.For(Audience, Federated with { UserName = null }));

        _clock.Now += TimeSpan.FromSeconds(45);
        Assert.NotEqual(first, assertions.For(Audience, Federated));
    }

    [Fact]
    public async Task AnAssertionForAnotherAudienceOrSignedByAnotherServiceIsRefused()
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        using var authorize = ServiceIdentities.Signer("edge", AuthorizeKey, _clock);

        Assert.False((await Api("https://other.example/api").VerifyAsync(new IdentityAssertionSigner(edge, _clock).For(Audience, Federated))).IsValid);
        Assert.False((await Api().VerifyAsync(new IdentityAssertionSigner(authorize, _clock).For(Audience, Federated))).IsValid);
    }

    [Fact]
    public async Task AnAssertionIsNoServiceTokenAndAServiceTokenIsNoAssertion()
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        var assertion = new IdentityAssertionSigner(edge, _clock).For("token", Federated);

        // Even addressed to a service, an assertion does not open it.
        var asServiceToken = await ServiceIdentities.Verifier("token", _clock, ("edge", EdgeKey)).VerifyAsync(assertion);
        Assert.False(asServiceToken.IsValid);
        Assert.Equal("wrong token type", asServiceToken.Problem);

        Assert.False((await Api().VerifyAsync(edge.TokenFor(Audience))).IsValid);
    }

    [Fact]
    public async Task AnExpiredAssertionIsRefused()
    {
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, _clock);
        var assertion = new IdentityAssertionSigner(edge, _clock).For(Audience, Federated);

        _clock.Now += TimeSpan.FromMinutes(2);

        Assert.Equal("expired", (await Api().VerifyAsync(assertion)).Problem);
    }
}
