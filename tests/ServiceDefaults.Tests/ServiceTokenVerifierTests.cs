using Microsoft.Extensions.Configuration;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// A callee believes a service token only when it is signed by a key trusted for the caller it names,
/// addressed to the callee, of the service-token type, and current; during a rotation both keys of
/// the caller pass, afterwards only the new one.
/// </summary>
public class ServiceTokenVerifierTests
{
    private static readonly string EdgeKey = ServiceKeys.NewPrivateKey();
    private static readonly string EdgeNextKey = ServiceKeys.NewPrivateKey();
    private static readonly string AuthorizeKey = ServiceKeys.NewPrivateKey();
    private static readonly string ForgerKey = ServiceKeys.NewPrivateKey();

    private static ServiceTokenVerifier TokenService(TimeProvider clock) =>
        ServiceIdentities.Verifier("token", clock, ("edge", EdgeKey), ("authorize", AuthorizeKey));

    [Fact]
    public async Task ATokenOfATrustedCallerForThisServiceNamesTheCaller()
    {
        var clock = new ManualClock();
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, clock);

        var check = await TokenService(clock).VerifyAsync(edge.TokenFor("token"));

        Assert.True(check.IsValid);
        Assert.Equal("edge", check.Caller);
        Assert.Null(check.Problem);
    }

    [Fact]
    public async Task ATokenMintedByHandAgainstTheWireContractIsAccepted()
    {
        var clock = new ManualClock();
        var check = await TokenService(clock).VerifyAsync(ServiceIdentities.Mint(AuthorizeKey, "authorize", "token", clock.Now));
        Assert.Equal("authorize", check.Caller);
    }

    [Fact]
    public async Task AnExpiredTokenIsRefusedAfterTheClockSkewButNotWithinIt()
    {
        var clock = new ManualClock();
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, clock);
        var token = edge.TokenFor("token");

        clock.Now += TimeSpan.FromSeconds(80);
        Assert.Equal("edge", (await TokenService(clock).VerifyAsync(token)).Caller);

        clock.Now += TimeSpan.FromSeconds(15);
        var check = await TokenService(clock).VerifyAsync(token);
        Assert.False(check.IsValid);
        Assert.Equal("expired", check.Problem);
        Assert.Equal("unverified:edge", check.AuditCaller);
    }

    [Fact]
    public async Task ARememberedTokenIsUsedOnlyUntilItExpires()
    {
        var clock = new ManualClock();
        var verifier = TokenService(clock);
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, clock);
        var token = edge.TokenFor("token");

        Assert.True((await verifier.VerifyAsync(token)).IsValid);
        Assert.Equal(1, verifier.Remembered);
        clock.Now += TimeSpan.FromSeconds(100);

        Assert.Equal("expired", (await verifier.VerifyAsync(token)).Problem);
    }

    [Fact]
    public async Task TheCacheOfAcceptedTokensIsBounded()
    {
        var clock = new ManualClock();
        var verifier = new ServiceTokenVerifier(ServiceIdentities.Options("token", ("edge", EdgeKey)), clock, cacheCapacity: 4);

        for (var i = 0; i < 10; i++)
        {
            Assert.True((await verifier.VerifyAsync(ServiceIdentities.Mint(EdgeKey, "edge", "token", clock.Now))).IsValid);
            Assert.InRange(verifier.Remembered, 1, 4);
        }
    }

    [Fact]
    public async Task ATokenForAnotherServiceIsRefused()
    {
        var clock = new ManualClock();
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, clock);

        var check = await TokenService(clock).VerifyAsync(edge.TokenFor("authorize"));

        Assert.False(check.IsValid);
        Assert.Equal("wrong audience", check.Problem);
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("JWT")]
    [InlineData("oauthaspire-identity+jwt")]
    [InlineData("OAUTHASPIRE-SERVICE+JWT")]
    public async Task ATokenOfAnotherTypeIsRefused(string type)
    {
        var clock = new ManualClock();

        var check = await TokenService(clock).VerifyAsync(ServiceIdentities.Mint(EdgeKey, "edge", "token", clock.Now, type: type));

        Assert.False(check.IsValid);
        Assert.Equal("wrong token type", check.Problem);
    }

    [Fact]
    public async Task ATokenOfAnUnknownCallerIsRefusedAndItsMadeUpNameIsNotAudited()
    {
        var clock = new ManualClock();
        using var intruder = ServiceIdentities.Signer("intruder", ForgerKey, clock);

        var check = await TokenService(clock).VerifyAsync(intruder.TokenFor("token"));

        Assert.False(check.IsValid);
        Assert.Equal("unknown caller", check.Problem);
        // A made-up name would start a refusal tally of its own for each name: none is kept.
        Assert.Equal("(none)", check.AuditCaller);
    }

    [Fact]
    public async Task AForgedSignatureIsRefusedEvenUnderTheTrustedKeysId()
    {
        var clock = new ManualClock();
        var forged = ServiceIdentities.Mint(ForgerKey, "edge", "token", clock.Now, kid: ServiceIdentities.KeyIdOf(EdgeKey));

        var check = await TokenService(clock).VerifyAsync(forged);

        Assert.False(check.IsValid);
        Assert.Equal("bad signature", check.Problem);
    }

    [Fact]
    public async Task AGenuineSignatureOverAlteredClaimsIsRefused()
    {
        var clock = new ManualClock();
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, clock);
        using var authorize = ServiceIdentities.Signer("authorize", AuthorizeKey, clock);
        // The edge's header and signature around a payload naming the authorize service.
        var genuine = edge.TokenFor("token").Split('.');
        var other = authorize.TokenFor("token").Split('.');

        var check = await TokenService(clock).VerifyAsync($"{genuine[0]}.{other[1]}.{genuine[2]}");

        Assert.False(check.IsValid);
    }

    [Fact]
    public async Task AnotherServicesKeyDoesNotStandInForTheNamedCaller()
    {
        var clock = new ManualClock();
        // Signed by the authorize service's (trusted) key, claiming to be the edge.
        var check = await TokenService(clock).VerifyAsync(ServiceIdentities.Mint(AuthorizeKey, "edge", "token", clock.Now));

        Assert.False(check.IsValid);
        Assert.Equal("signed by a key not trusted for this caller", check.Problem);
        Assert.Equal("unverified:edge", check.AuditCaller);
    }

    [Fact]
    public async Task DuringARotationBothKeysOfTheCallerPassAndARemovedKeyIsRefused()
    {
        var clock = new ManualClock();
        var rotating = ServiceIdentities.Verifier("token", clock, ("edge", EdgeKey), ("edge", EdgeNextKey));
        using var current = ServiceIdentities.Signer("edge", EdgeKey, clock);
        using var next = ServiceIdentities.Signer("edge", EdgeNextKey, clock);

        Assert.Equal("edge", (await rotating.VerifyAsync(current.TokenFor("token"))).Caller);
        Assert.Equal("edge", (await rotating.VerifyAsync(next.TokenFor("token"))).Caller);

        var rotated = ServiceIdentities.Verifier("token", clock, ("edge", EdgeNextKey));
        Assert.Equal("edge", (await rotated.VerifyAsync(next.TokenFor("token"))).Caller);
        var refused = await rotated.VerifyAsync(current.TokenFor("token"));
        Assert.False(refused.IsValid);
        Assert.Equal("signed by a key not trusted for this caller", refused.Problem);
    }

    [Fact]
    public async Task ATokenClaimingALongLifeIsRefused()
    {
        var clock = new ManualClock();
        var check = await TokenService(clock).VerifyAsync(ServiceIdentities.Mint(EdgeKey, "edge", "token", clock.Now, life: TimeSpan.FromMinutes(10)));
        Assert.Equal("lifetime over 120 s", check.Problem);
    }

    [Fact]
    public async Task ATokenIssuedInTheFutureIsRefused()
    {
        var clock = new ManualClock();
        var check = await TokenService(clock).VerifyAsync(ServiceIdentities.Mint(EdgeKey, "edge", "token", clock.Now.AddMinutes(1)));
        Assert.Equal("not yet valid", check.Problem);
    }

    [Fact]
    public async Task ATokenWhoseSubjectIsNotItsIssuerIsRefused()
    {
        var clock = new ManualClock();
        var check = await TokenService(clock).VerifyAsync(ServiceIdentities.Mint(EdgeKey, "edge", "token", clock.Now, subject: "authorize"));
        Assert.False(check.IsValid);
    }

    [Theory]
    [InlineData(null, "(none)")]
    [InlineData("", "(none)")]
    [InlineData("not-a-token", "(none)")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJpc3MiOiJlZGdlIn0.", "unverified:edge")]
    public async Task NoTokenOrGarbageIsRefused(string? token, string auditCaller)
    {
        var check = await TokenService(new ManualClock()).VerifyAsync(token);

        Assert.False(check.IsValid);
        Assert.Equal(auditCaller, check.AuditCaller);
    }

    [Fact]
    public async Task AServiceWithoutANameAcceptsNoToken()
    {
        var clock = new ManualClock();
        using var edge = ServiceIdentities.Signer("edge", EdgeKey, clock);
        var nameless = ServiceIdentities.Verifier(null, clock, ("edge", EdgeKey));

        Assert.False((await nameless.VerifyAsync(edge.TokenFor("token"))).IsValid);
    }

    [Fact]
    public void AnUnreadableTrustedKeyStopsTheServiceAtStart()
    {
        var options = new ServiceIdentityOptions { Name = "token" };
        options.Trusted["edge"] = ["not a key"];

        var e = Assert.Throws<InvalidOperationException>(() => new ServiceTokenVerifier(options, TimeProvider.System));
        Assert.Contains("Trusted:edge", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOptionsAreReadAsTheAppHostWritesThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ServiceIdentity:Name"] = "token",
            ["ServiceIdentity:PrivateKey"] = "private",
            ["ServiceIdentity:Trusted:edge:0"] = "first",
            ["ServiceIdentity:Trusted:edge:1"] = "second",
            ["ServiceIdentity:Trusted:client-registry:0"] = "third",
            ["ServiceIdentity:Trusted:scope-policy:0"] = " ",
        }).Build();

        var options = ServiceIdentityOptions.Read(configuration);

        Assert.Equal("token", options.Name);
        Assert.Equal("private", options.PrivateKey);
        Assert.Equal(new[] { "first", "second" }, options.Trusted["edge"]);
        Assert.Equal(new[] { "third" }, options.Trusted["client-registry"]);
        Assert.False(options.Trusted.ContainsKey("scope-policy"));
    }
}
