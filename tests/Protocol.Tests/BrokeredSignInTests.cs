using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.Protocol.OpenIdConnect;

namespace OAuthAspire.Protocol.Tests;

/// <summary>The rules of signing in through a trusted provider: the request we send, the answer and the ID token we accept, whom it may map to.</summary>
public class BrokeredSignInTests
{
    private const string Issuer = "https://idp.example.com";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static readonly TrustSettings Trust = new()
    {
        Name = "idp", Issuer = Issuer, MetadataUrl = Issuer + "/.well-known/openid-configuration", ClientIds = ["app"], ProviderClientId = "ours",
    };

    [Fact]
    public void TheProvidersRequestIsACodeFlowWithS256AFreshStateAndNonceAndOnlyTheForwardingsTheTrustAllows()
    {
        var secrets = BrokerSecrets.New();
        var settings = new SignInSettings { LoginHint = true, PassPrompt = true };
        var url = new Uri(BrokeredSignIn.AuthorizationUrl("https://idp.example.com/authorize?tenant=t", "ours", "https://as.example/cb", secrets, settings,
            ["login", "none", "consent"], 300, "ada@corp.example"));
        var query = Query(url.Query);

        Assert.Equal("t", query["tenant"].ToString());
        Assert.Equal(("code", "ours", "https://as.example/cb", "openid"), (query["response_type"].ToString(), query["client_id"].ToString(),
            query["redirect_uri"].ToString(), query["scope"].ToString()));
        Assert.Equal((secrets.State, secrets.Nonce, secrets.CodeChallenge, "S256"), (query["state"].ToString(), query["nonce"].ToString(),
            query["code_challenge"].ToString(), query["code_challenge_method"].ToString()));
        Assert.Equal("login consent", query["prompt"].ToString());
        Assert.Equal("300", query["max_age"].ToString());
        Assert.Equal("ada@corp.example", query["login_hint"].ToString());
        Assert.NotEqual(secrets.State, BrokerSecrets.New().State);

        var plain = Query(new Uri(BrokeredSignIn.AuthorizationUrl(Issuer + "/authorize", "ours", "https://as.example/cb", secrets, new SignInSettings(),
            ["login"], 300, "ada@corp.example")).Query);
        // Freshness always goes (our auth_time is the provider's); prompt and login_hint only when the trust forwards them.
        Assert.False(plain.ContainsKey("prompt") || plain.ContainsKey("login_hint"));
        Assert.Equal("300", plain["max_age"]);
        Assert.Equal(0, BrokeredSignIn.Freshness(["login"], 300));
        Assert.Null(BrokeredSignIn.Freshness(["consent"], null));
        Assert.Equal("openid email", BrokeredSignIn.ScopeFor("email"));
    }

    private static Dictionary<string, string> Query(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]));

    [Fact]
    public void TheResponsesIssIsCheckedWhenSentAndRequiredWhenPromised()
    {
        Assert.Null(BrokeredSignIn.IssuerProblem(Issuer, Issuer, true));
        Assert.Null(BrokeredSignIn.IssuerProblem(null, Issuer, false));
        Assert.Contains("mix-up", BrokeredSignIn.IssuerProblem("https://evil.example", Issuer, false));
        Assert.Contains("sent none", BrokeredSignIn.IssuerProblem(null, Issuer, true));
    }

    [Fact]
    public void TheIdTokenMustCarryOurNonceOurClientAsAzpAndARecentEnoughSignIn()
    {
        static JsonWebToken Token(object claims) => new(new JsonWebTokenHandler().CreateToken(System.Text.Json.JsonSerializer.Serialize(claims)));
        var good = Token(new { nonce = "n", azp = "ours", auth_time = Now.AddMinutes(-1).ToUnixTimeSeconds() });

        Assert.Null(BrokeredSignIn.IdTokenProblem(good, "n", "ours", 300, Now));
        Assert.Contains("nonce", BrokeredSignIn.IdTokenProblem(good, "other", "ours", null, Now));
        Assert.Contains("nonce", BrokeredSignIn.IdTokenProblem(Token(new { azp = "ours" }), "n", "ours", null, Now));
        Assert.Contains("azp", BrokeredSignIn.IdTokenProblem(Token(new { nonce = "n", azp = "theirs" }), "n", "ours", null, Now));
        Assert.Contains("azp", BrokeredSignIn.IdTokenProblem(Token(new { nonce = "n", aud = new[] { "ours", "theirs" } }), "n", "ours", null, Now));
        Assert.Contains("max_age", BrokeredSignIn.IdTokenProblem(Token(new { nonce = "n", auth_time = Now.AddMinutes(-5).ToUnixTimeSeconds() }), "n", "ours", 0, Now));
        Assert.Null(BrokeredSignIn.IdTokenProblem(Token(new { nonce = "n", auth_time = Now.AddSeconds(-5).ToUnixTimeSeconds() }), "n", "ours", 0, Now));
        Assert.Contains("auth_time", BrokeredSignIn.IdTokenProblem(Token(new { nonce = "n" }), "n", "ours", 10, Now));
        Assert.Equal(["pwd", "mfa"], BrokeredSignIn.Methods(Token(new { amr = new[] { "pwd", "mfa", "custom", "pwd" } })));
    }

    [Fact]
    public void ASignInFindsAUserByItsOwnLinkOrAStableClaimNeverByAMutableOneOrATokensLink()
    {
        var byEmail = Trust with { UserClaim = "email", UserField = "email" };

        Assert.Equal(("user_name", "oid-1"), FederatedUsers.SignInLookup(Trust with { UserClaim = "oid" }, null, false, "oid-1"));
        Assert.Null(FederatedUsers.SignInLookup(byEmail, null, false, "ada@corp.example"));
        Assert.Equal(("sys_id", "u-1"), FederatedUsers.SignInLookup(byEmail, "u-1", true, "ada@corp.example"));
        // A link an API token made (its claim named the user) is never a sign-in's way in.
        Assert.Null(FederatedUsers.SignInLookup(byEmail, "u-1", false, "ada@corp.example"));
        Assert.Null(FederatedUsers.SignInLookup(Trust with { UserClaim = "oid" }, "u-1", false, "oid-1"));
    }

    [Fact]
    public void HomeRealmDiscoveryReadsTheDomainOfAnAddressAndTheSettingsAreChecked()
    {
        Assert.Equal("corp.example", BrokeredSignIn.DomainOf("Ada@Corp.Example"));
        Assert.Null(BrokeredSignIn.DomainOf("ada"));
        Assert.Null(BrokeredSignIn.DomainOf("ada@"));
        Assert.Equal("providerClient", BrokeredSignIn.Problem(new SignInSettings(), null)?.Field);
        Assert.Equal("signIn.emailDomains", BrokeredSignIn.Problem(new SignInSettings { EmailDomains = ["Corp.Example"] }, "ours")?.Field);
        Assert.Null(BrokeredSignIn.Problem(new SignInSettings { EmailDomains = ["corp.example"] }, "ours"));
        Assert.Equal("https://as.example/oauth/login/federated/a%20b/callback", BrokeredSignIn.RedirectUri("https://as.example/", "a b"));
    }

    [Fact]
    public void AFederatedSignInsIdTokenSaysSoInAcrAndKeepsOnlyTheProvidersMethodsInAmr()
    {
        var issuer = Protocol.Issuer.Create("https://as.example", allowHttpLoopback: false);
        var federated = IdToken.Describe(issuer, "u", "c", Now, TimeSpan.FromMinutes(5), Now, null, null, null, ["mfa", IdToken.FederatedMarker]);
        var silent = IdToken.Claims(IdToken.Describe(issuer, "u", "c", Now, TimeSpan.FromMinutes(5), Now, null, null, null, [IdToken.FederatedMarker]));
        var password = IdToken.Describe(issuer, "u", "c", Now, TimeSpan.FromMinutes(5), Now, null, null, null, ["pwd"]);

        Assert.Equal(IdToken.FederatedAcr, federated.Acr);
        Assert.Equal(["mfa"], federated.Amr);
        Assert.False(silent.ContainsKey("amr"));
        Assert.Equal(IdToken.PasswordAcr, password.Acr);
        Assert.Equal(["pwd"], password.Amr);
    }
}
