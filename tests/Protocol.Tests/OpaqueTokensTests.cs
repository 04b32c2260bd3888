using System.Text.Json;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Federation;

namespace OAuthAspire.Protocol.Tests;

/// <summary>Which trust an opaque token goes to, and every rule an introspection answer must pass (RFC 7662).</summary>
public class OpaqueTokensTests
{
    private const string Issuer = "https://idp.example.com";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static readonly TrustSettings Trust = new()
    {
        Name = "idp", Issuer = Issuer, MetadataUrl = Issuer + "/.well-known/openid-configuration", ClientIds = ["app-1"], ClockSkew = 60,
        ProviderClientId = "introspector", OpaqueTokens = new OpaqueTokenSettings { Prefix = "idp." },
    };

    private static JsonElement Answer(Action<Dictionary<string, object?>>? change = null)
    {
        var answer = new Dictionary<string, object?>
        {
            ["active"] = true, ["iss"] = Issuer, ["sub"] = "s-1", ["client_id"] = "app-1", ["exp"] = Now.AddMinutes(30).ToUnixTimeSeconds(),
        };
        change?.Invoke(answer);
        return JsonSerializer.SerializeToElement(answer);
    }

    [Fact]
    public void AnActiveAnswerForAnAcceptedClientGivesTheSubjectTheUserClaimAndTheExpiry()
    {
        var result = OpaqueTokens.Check(Answer(), Trust, Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(("s-1", "s-1", "app-1", Issuer), (result.Subject, result.UserClaimValue, result.AuthorizedParty, result.Issuer));
        Assert.Equal(Now.AddMinutes(30).ToUnixTimeSeconds(), result.ExpiresAt.ToUnixTimeSeconds());
        // An accepted audience will do where client_id is someone else's; an answer without iss is the endpoint's own.
        Assert.Equal("app-1", OpaqueTokens.Check(Answer(a => { a["client_id"] = "gateway"; a["aud"] = new[] { "other", "app-1" }; a.Remove("iss"); }), Trust, Now).AuthorizedParty);
    }

    [Theory]
    [InlineData("active false", AssertionFailure.Inactive)]
    [InlineData("active as a string", AssertionFailure.Inactive)]
    [InlineData("active missing", AssertionFailure.Inactive)]
    [InlineData("another issuer", AssertionFailure.WrongIssuer)]
    [InlineData("another client", AssertionFailure.WrongAudience)]
    [InlineData("no exp", AssertionFailure.Malformed)]
    [InlineData("expired", AssertionFailure.Expired)]
    [InlineData("a year long", AssertionFailure.LifetimeTooLong)]
    [InlineData("not yet valid", AssertionFailure.NotYetValid)]
    [InlineData("no sub", AssertionFailure.MissingSubject)]
    [InlineData("a refresh token", AssertionFailure.WrongType)]
    [InlineData("sender-constrained", AssertionFailure.WrongType)]
    public void AnAnswerFailingAnyRuleIsRefusedWithThatRule(string why, AssertionFailure failure)
    {
        Action<Dictionary<string, object?>> change = why switch
        {
            "active false" => a => a["active"] = false,
            "active as a string" => a => a["active"] = "true",
            "active missing" => a => a.Remove("active"),
            "another issuer" => a => a["iss"] = "https://elsewhere.example",
            "another client" => a => a["client_id"] = "someone-else",
            "no exp" => a => a.Remove("exp"),
            "expired" => a => a["exp"] = Now.AddMinutes(-2).ToUnixTimeSeconds(),
            "a year long" => a => a["exp"] = Now.AddDays(365).ToUnixTimeSeconds(),
            "not yet valid" => a => a["nbf"] = Now.AddMinutes(5).ToUnixTimeSeconds(),
            "no sub" => a => a.Remove("sub"),
            "a refresh token" => a => a["token_type"] = "refresh_token",
            "sender-constrained" => a => a["cnf"] = new { jkt = "abc" },
            _ => throw new ArgumentException(why),
        };

        Assert.Equal(failure, OpaqueTokens.Check(Answer(change), Trust, Now).Failure);
    }

    [Fact]
    public void MappingByEmailNeedsTheProviderToHaveVerifiedIt()
    {
        var byEmail = Trust with { UserClaim = "email" };

        Assert.Equal(AssertionFailure.MissingClaim, OpaqueTokens.Check(Answer(a => a["email"] = "ada@corp.example"), byEmail, Now).Failure);
        Assert.Equal(AssertionFailure.MissingClaim, OpaqueTokens.Check(Answer(a => { a["email"] = "ada@corp.example"; a["email_verified"] = "true"; }), byEmail, Now).Failure);
        Assert.Equal("ada@corp.example", OpaqueTokens.Check(Answer(a => { a["email"] = "ada@corp.example"; a["email_verified"] = true; }), byEmail, Now).UserClaimValue);
        Assert.Equal(AssertionFailure.Malformed, OpaqueTokens.Check(JsonSerializer.SerializeToElement(new[] { 1 }), Trust, Now).Failure);
    }

    [Fact]
    public void AnOpaqueTokenGoesToTheTrustWithTheLongestPrefixThatStartsItAndNeverOneOfOursOrAnOversizedOne()
    {
        string[] prefixes = ["ya29.", "ya29.special.", "00D"];

        Assert.Equal("ya29.special.", OpaqueTokens.Route(prefixes, p => p, "ya29.special.abc"));
        Assert.Equal("ya29.", OpaqueTokens.Route(prefixes, p => p, "ya29.abc"));
        Assert.Null(OpaqueTokens.Route(prefixes, p => p, "AbC123"));
        Assert.Null(OpaqueTokens.Route(["oaa"], p => p, Tokens.RefreshTokens.New()));
        Assert.Null(OpaqueTokens.Route(prefixes, p => p, "00D" + new string('x', OpaqueTokens.MaxTokenLength)));
        Assert.Null(OpaqueTokens.Route([""], p => p, "anything"));
    }

    [Fact]
    public void OnlyACompactJwsOrJweGoesTheJwtWay()
    {
        var jws = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";

        Assert.True(OpaqueTokens.IsJwt(jws));
        Assert.False(OpaqueTokens.IsJwt("ya29.a0AfH6SMBx-opaque"));
        Assert.False(OpaqueTokens.IsJwt("not.a.jwt"));
        Assert.False(OpaqueTokens.IsJwt("2YotnFZFEjr1zCsicMWpAA"));
    }

    [Fact]
    public void OpaqueTokensNeedAProviderClientAFetchableEndpointAPrintablePrefixAndABoundedCache()
    {
        static string? UrlProblem(string url) => url.StartsWith("https://", StringComparison.Ordinal) ? null : "must use https";
        (string Field, string Problem)? Problem(OpaqueTokenSettings opaque, string? client = "introspector") => OpaqueTokens.Problem(opaque, client, UrlProblem);

        Assert.Null(Problem(new OpaqueTokenSettings { Prefix = "00D" }));
        Assert.Equal("providerClient", Problem(new OpaqueTokenSettings { Prefix = "00D" }, null)?.Field);
        Assert.Equal("opaqueTokens.prefix", Problem(new OpaqueTokenSettings())?.Field);
        Assert.Equal("opaqueTokens.prefix", Problem(new OpaqueTokenSettings { Prefix = "oaa_rt_x" })?.Field);
        Assert.Equal("opaqueTokens.prefix", Problem(new OpaqueTokenSettings { Prefix = "oa" + "a" })?.Field);
        Assert.Equal("opaqueTokens.introspectionEndpoint", Problem(new OpaqueTokenSettings { Prefix = "00D", IntrospectionEndpoint = "http://idp.example.com/introspect" })?.Field);
        Assert.Equal("opaqueTokens.prefix", Problem(new OpaqueTokenSettings { Prefix = "with space" })?.Field);
        Assert.Equal("opaqueTokens.cacheSeconds", Problem(new OpaqueTokenSettings { Prefix = "00D", CacheSeconds = OpaqueTokens.MaxCacheSeconds + 1 })?.Field);
    }
}
