using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Resources;

namespace OAuthAspire.Protocol.Tests;

public class ResourceIndicatorsTests
{
    private const string Default = "https://id.example.com/api";
    private const string Orders = "https://id.example.com/api/orders";
    private const string Billing = "https://billing.example.com";

    private static readonly ApiPolicy OrdersApi = new("Orders", "/api/orders", [new ApiRule(["GET"], "/api/orders/**", ["orders.read"])], Orders,
        AcceptDefaultAudience: false);

    private static readonly ApiPolicy BillingApi = new("Billing", "/api/billing", [new ApiRule([], "/api/billing/**", ["billing.all"])], Billing);

    private static readonly ApiResources Known = new([OrdersApi, BillingApi]);

    private static readonly string[] Granted = ["openid", "profile", "orders.read", "billing.all", "other.scope"];

    private static TokenTarget Target(string[] requested, string[]? grant, string[]? allowed = null, string[]? scopes = null) =>
        ResourceIndicators.Target(requested, grant, scopes ?? Granted, Known, allowed ?? [], Default);

    [Theory]
    [InlineData("https://api.example.com/orders", true)]
    [InlineData("urn:example:orders", true)]
    [InlineData("/api/orders", false)]
    [InlineData("orders", false)]
    [InlineData("https://api.example.com/orders#frag", false)]
    [InlineData("https://api.example.com/or ders", false)]
    [InlineData("", false)]
    public void AResourceIsAnAbsoluteUriWithoutAFragment(string value, bool valid) =>
        Assert.Equal(valid, ResourceIndicators.Problem(value) is null);

    [Fact]
    public void WithoutAResourceTheTokenHasTheDefaultAudienceAndEveryScope()
    {
        var target = Target([], null);
        Assert.Null(target.Error);
        Assert.Equal(Default, target.Audience);
        Assert.Equal(Granted, target.Scopes);
    }

    [Fact]
    public void AResourceNarrowsTheScopesToItsApisWithoutTheOpenIdOnesSoNoApiCanReadUserinfo()
    {
        var target = Target([Orders], null);
        Assert.Null(target.Error);
        Assert.Equal(Orders, target.Audience);
        Assert.Equal(["orders.read"], target.Scopes);
    }

    [Fact]
    public void AClientLimitedToOneApiGetsItWithoutNamingItAndNeverTheDefaultAudience()
    {
        Assert.Equal(Billing, Target([], null, allowed: [Billing]).Audience);
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([], null, allowed: [Billing, Orders]).Error?.Error);
        // A grant that named no API (made before the client was limited) gives it nothing.
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([], [], allowed: [Billing]).Error?.Error);
        Assert.Equal([Billing], ResourceIndicators.ForAuthorization([], [Billing]).Resources);
        Assert.NotNull(ResourceIndicators.ForAuthorization([], [Billing, Orders]).Problem);
        Assert.Equal([Orders], ResourceIndicators.ForAuthorization([Orders], [Billing, Orders]).Resources);
    }

    [Fact]
    public void AnAuthorizationForAnApiNoneOfWhoseScopesIsGrantedIsRefusedBeforeAnyCode()
    {
        Assert.Null(ResourceIndicators.CheckScopes([Orders], ["orders.read"], Known));
        Assert.NotNull(ResourceIndicators.CheckScopes([Orders], ["openid", "billing.all"], Known));
        Assert.NotNull(ResourceIndicators.CheckScopes(["https://unknown.example"], ["orders.read"], Known));
    }

    [Theory]
    [InlineData("https://api.example.com/\"x")]
    [InlineData("https://api.example.com/x\\y")]
    [InlineData("https://api.example.com/{x}")]
    public void CharactersNoUriHasAreRefusedSoNoHeaderCanBeBroken(string value) => Assert.NotNull(ResourceIndicators.Problem(value));

    [Fact]
    public void TwoPoliciesClaimingOneIdentifierLeaveTheFirstNotAFailure()
    {
        var twin = OrdersApi with { Name = "Twin" };
        Assert.Same(OrdersApi, new ApiResources([OrdersApi, twin]).Find(Orders));
    }

    [Fact]
    public void UserAccountIsKeptForEveryApi() =>
        Assert.Equal(["useraccount"], Target([Orders], null, scopes: ["useraccount", "billing.all"]).Scopes);

    [Fact]
    public void OneResourcePerTokenRequest() =>
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([Orders, Billing], null).Error?.Error);

    [Fact]
    public void AnUnknownResourceIsInvalidTarget() =>
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target(["https://elsewhere.example/api"], null).Error?.Error);

    [Fact]
    public void AClientMayBeLimitedToSomeApis()
    {
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([Orders], null, allowed: [Billing]).Error?.Error);
        Assert.Null(Target([Billing], null, allowed: [Billing]).Error);
    }

    [Fact]
    public void NoScopeOfTheApiGrantedIsInvalidTarget() =>
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([Orders], null, scopes: ["openid", "billing.all"]).Error?.Error);

    [Fact]
    public void AGrantForOneApiGivesItsTokenWithoutNamingIt() => Assert.Equal(Orders, Target([], [Orders]).Audience);

    [Fact]
    public void AGrantForSeveralApisNeedsTheTokenRequestToNameOne()
    {
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([], [Orders, Billing]).Error?.Error);
        Assert.Equal(Billing, Target([Billing], [Orders, Billing]).Audience);
    }

    [Fact]
    public void ATokenRequestCannotGoBeyondTheGrant()
    {
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([Billing], [Orders]).Error?.Error);
        Assert.Equal(OAuthErrorCodes.InvalidTarget, Target([Billing], []).Error?.Error);
    }

    [Fact]
    public void AnApiAdmitsItsOwnAudienceAndTheDefaultOnlyWhenItSaysSo()
    {
        Assert.True(ResourceIndicators.Admits(OrdersApi, Orders, Default));
        Assert.False(ResourceIndicators.Admits(OrdersApi, Default, Default));
        Assert.False(ResourceIndicators.Admits(OrdersApi, Billing, Default));
        Assert.True(ResourceIndicators.Admits(BillingApi, Default, Default));
    }

    [Fact]
    public void PathsWithoutAPolicyAdmitOnlyTheDefaultAudience()
    {
        Assert.True(ResourceIndicators.Admits(null, Default, Default));
        Assert.False(ResourceIndicators.Admits(null, Orders, Default));
    }

    [Fact]
    public void AnAuthorizationRequestMayNameSeveralKnownApis()
    {
        Assert.Null(ResourceIndicators.CheckAuthorization([Orders, Billing], Known, []));
        Assert.NotNull(ResourceIndicators.CheckAuthorization([Orders, "https://unknown.example"], Known, []));
        Assert.NotNull(ResourceIndicators.CheckAuthorization([Orders], Known, [Billing]));
        Assert.NotNull(ResourceIndicators.CheckAuthorization(Enumerable.Range(0, 11).Select(i => $"https://x{i}.example").ToArray(), Known, []));
    }

    [Fact]
    public void ReadRefusesAMalformedResourceAndDropsRepeats()
    {
        Assert.NotNull(ResourceIndicators.Read(RequestParameters.Of(("resource", "not a uri")), out _));
        Assert.Null(ResourceIndicators.Read(RequestParameters.Of(("resource", Orders), ("resource", Orders)), out var resources));
        Assert.Equal([Orders], resources);
    }
}
