using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.ServiceDefaults.Admin;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.ClientRegistry.Tests;

/// <summary>
/// What a registration may hold, field by field, and what is stored for it: defaults, PKCE for
/// every public client, origins derived from the redirect URIs, the application user as the
/// directory knows it, the shared key sealed and never in the stored settings.
/// </summary>
public class ClientValidatorTests
{
    private const string ClientId = "billing-app";
    private const string SharedKey = "a-shared-hmac-key-of-at-least-32-bytes";

    private static readonly IConfiguration Configuration = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["Keys:EncryptionKey"] = "client-validator-tests-encryption-key-0123456789" })
        .Build();

    /// <summary>A confidential web application, right in every field.</summary>
    private static readonly ClientDto WebApp = new(Name: "Billing", ClientId: null, Public: false, PkceRequired: null,
        RedirectUris: ["https://billing.example.com/cb"], PostLogoutRedirectUris: null,
        GrantTypes: [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken], Scopes: ["openid", "table.read"], DefaultScopes: ["openid"],
        AccessTokenLifespan: null, RefreshTokenLifespan: null, ApplicationUser: null, CanIntrospect: null, LogoUrl: null, Active: null);

    private readonly CannedCalls _directory = new();
    private readonly Owners _owners = new(scopes: ["openid", "table.read"], trusts: ["corp-idp"]);
    private readonly SharedKeyProtector _sharedKeys = new(Configuration);
    private readonly ClientValidator _validator;

    public ClientValidatorTests()
    {
        _directory.On<FindUserRequest, UserReply>("FindUser", request => request.Value == "svc.billing"
            ? new UserReply { Found = true, User = new User { SysId = "5d1e8c0b7a6f4e3d2c1b0a9f8e7d6c5b", UserName = "svc.billing", Active = true } }
            : new UserReply { Found = false });
        _validator = new ClientValidator(new DirectoryClient(_directory), _owners.Claims, _sharedKeys);
    }

    private Task<(ClientRecord? Client, Validation Validation)> ValidateAsync(ClientDto body, ClientRecord? existing = null) =>
        _validator.ValidateAsync(body, ClientId, existing, CancellationToken.None);

    private async Task<ClientRecord> AcceptedAsync(ClientDto body, ClientRecord? existing = null)
    {
        var (client, validation) = await ValidateAsync(body, existing);
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        return Assert.IsType<ClientRecord>(client);
    }

    private async Task<IDictionary<string, string[]>> RefusedAsync(ClientDto body, ClientRecord? existing = null)
    {
        var (client, validation) = await ValidateAsync(body, existing);
        Assert.Null(client);
        Assert.False(validation.IsValid);
        return validation.Errors;
    }

    [Fact]
    public async Task AWellFormedRegistrationIsStoredWithItsDefaultsAndClaimsNothingYet()
    {
        var client = await AcceptedAsync(WebApp);

        Assert.Equal(ClientId, client.ClientId);
        Assert.Equal(1800, client.AccessTokenLifespan);
        Assert.Equal(8_640_000, client.RefreshTokenLifespan);
        Assert.True(client.Active);
        Assert.False(client.PkceRequired);
        Assert.False(client.CanIntrospect);
        Assert.Empty(client.Trusts);
        // The save claims the scopes and trusts; validating a good registration asks no owner.
        Assert.Equal(0, _owners.ScopePolicy.Count + _owners.FederationTrust.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Bill\ning")]
    public async Task ANameIsRequiredWithoutControlCharacters(string? name) =>
        Assert.Equal(new[] { "name" }, (await RefusedAsync(WebApp with { Name = name })).Keys);

    [Fact]
    public async Task ANameIsAtMost200Characters()
    {
        await AcceptedAsync(WebApp with { Name = new string('n', 200) });
        Assert.Equal(new[] { "name" }, (await RefusedAsync(WebApp with { Name = new string('n', 201) })).Keys);
    }

    [Fact]
    public async Task DpopBoundTokensAreKeptAndRefusedWithTheImplicitGrantWhichCannotBindThem()
    {
        var bound = await AcceptedAsync(WebApp with { DpopBoundAccessTokens = true, DpopNonceRequired = true });
        Assert.True(bound.DpopBoundAccessTokens);
        Assert.True(bound.DpopNonceRequired);
        Assert.True(bound.ToDto().DpopBoundAccessTokens);
        Assert.False((await AcceptedAsync(WebApp)).DpopBoundAccessTokens);

        var implicitFlow = WebApp with { GrantTypes = [GrantTypes.Implicit], DpopBoundAccessTokens = true };
        Assert.Equal(new[] { "dpopBoundAccessTokens" }, (await RefusedAsync(implicitFlow)).Keys);
    }

    [Fact]
    public async Task EveryPublicClientGetsPkceWhateverTheFlagSays()
    {
        Assert.True((await AcceptedAsync(WebApp with { Public = true, PkceRequired = false })).PkceRequired);
        Assert.True((await AcceptedAsync(WebApp with { PkceRequired = true })).PkceRequired);
        Assert.False((await AcceptedAsync(WebApp with { PkceRequired = false })).PkceRequired);
    }

    [Fact]
    public async Task AnOmittedPublicFlagKeepsTheStoredClientType()
    {
        var existing = new ClientRecord { ClientId = ClientId, Name = "Billing", Public = true };

        var errors = await RefusedAsync(WebApp with { Public = null, GrantTypes = [GrantTypes.ClientCredentials] }, existing);

        Assert.Equal(new[] { "grantTypes" }, errors.Keys);
    }

    [Fact]
    public async Task AFrontChannelGrantNeedsARedirectUriAndClientCredentialsDoesNot()
    {
        var errors = await RefusedAsync(WebApp with { RedirectUris = null });
        Assert.Contains("at least one", Assert.Single(errors["redirectUris"]), StringComparison.Ordinal);

        await AcceptedAsync(WebApp with { RedirectUris = null, GrantTypes = [GrantTypes.ClientCredentials], AllowedOrigins = [] });
    }

    [Fact]
    public async Task EachBadRedirectUriIsNamedByItsPlace()
    {
        var errors = await RefusedAsync(WebApp with
        {
            RedirectUris = ["https://billing.example.com/cb", "http://billing.example.com/cb", "https://billing.example.com/*"],
            PostLogoutRedirectUris = ["https://billing.example.com/bye#top"],
            AllowedOrigins = [],
        });

        Assert.Equal(new[] { "postLogoutRedirectUris[0]", "redirectUris[1]", "redirectUris[2]" }, errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RepeatedUrisAndScopesAreStoredOnceInTheOrderGiven()
    {
        var client = await AcceptedAsync(WebApp with
        {
            RedirectUris = ["https://billing.example.com/b", "https://billing.example.com/a", "https://billing.example.com/b"],
            Scopes = ["table.read", "openid", "table.read"],
        });

        Assert.Equal(new[] { "https://billing.example.com/b", "https://billing.example.com/a" }, client.RedirectUris);
        Assert.Equal(new[] { "table.read", "openid" }, client.Scopes);
    }

    [Fact]
    public async Task WithoutNamedOriginsThePagesOfTheRedirectUrisMayCallCrossOrigin()
    {
        var client = await AcceptedAsync(WebApp with
        {
            Public = true,
            RedirectUris = ["https://billing.example.com/cb", "https://billing.example.com/other", "http://127.0.0.1:8080/cb", "com.example.billing:/cb"],
        });

        Assert.Equal(new[] { "https://billing.example.com", "http://127.0.0.1:8080" }, client.AllowedOrigins);
    }

    [Fact]
    public async Task NamedOriginsAreStoredAsBrowsersSendThemOnceEach()
    {
        var client = await AcceptedAsync(WebApp with { AllowedOrigins = ["https://App.Example.com:443", "https://app.example.com", "https://app.example.com:8443"] });

        Assert.Equal(new[] { "https://app.example.com", "https://app.example.com:8443" }, client.AllowedOrigins);
        Assert.Empty((await AcceptedAsync(WebApp with { AllowedOrigins = [] })).AllowedOrigins);
    }

    [Fact]
    public async Task EachBadOriginIsNamedByItsPlace()
    {
        var errors = await RefusedAsync(WebApp with { AllowedOrigins = ["https://app.example.com", "https://app.example.com/", "https://*.example.com"] });

        Assert.Equal(new[] { "allowedOrigins[1]", "allowedOrigins[2]" }, errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(ClientRules.MaxAccessTokenLifespan + 1, null)]
    [InlineData(null, 0)]
    [InlineData(null, ClientRules.MaxRefreshTokenLifespan + 1)]
    public async Task TokenLifespansAreBounded(int? access, int? refresh)
    {
        var errors = await RefusedAsync(WebApp with { AccessTokenLifespan = access, RefreshTokenLifespan = refresh });

        Assert.Equal(new[] { access is null ? "refreshTokenLifespan" : "accessTokenLifespan" }, errors.Keys);
    }

    [Fact]
    public async Task TheLongestLifespansAreAccepted()
    {
        var client = await AcceptedAsync(WebApp with
        {
            AccessTokenLifespan = ClientRules.MaxAccessTokenLifespan,
            RefreshTokenLifespan = ClientRules.MaxRefreshTokenLifespan,
        });

        Assert.Equal((ClientRules.MaxAccessTokenLifespan, ClientRules.MaxRefreshTokenLifespan), (client.AccessTokenLifespan, client.RefreshTokenLifespan));
    }

    [Theory]
    [InlineData("https://cdn.example.com/billing.png", true)]
    [InlineData("http://localhost:5000/billing.png", true)]
    [InlineData("http://cdn.example.com/billing.png", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("/billing.png", false)]
    public async Task ALogoIsAnHttpsUrl(string logoUrl, bool accepted)
    {
        var (client, validation) = await ValidateAsync(WebApp with { LogoUrl = logoUrl });

        Assert.Equal(accepted, validation.IsValid);
        Assert.Equal(accepted, client is not null);
        Assert.Equal(!accepted, validation.Errors.ContainsKey("logoUrl"));
    }

    [Fact]
    public async Task DefaultScopesMustBeAmongTheClientsScopes()
    {
        var errors = await RefusedAsync(WebApp with { DefaultScopes = ["openid", "email"] });

        var message = Assert.Single(errors["defaultScopes"]);
        Assert.Contains("email", message, StringComparison.Ordinal);
        Assert.DoesNotContain("openid", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApplicationUserIsStoredAsTheDirectoryKnowsIt()
    {
        var client = await AcceptedAsync(WebApp with { ApplicationUser = "svc.billing" });

        Assert.Equal("5d1e8c0b7a6f4e3d2c1b0a9f8e7d6c5b", client.ApplicationUserSysId);
        Assert.Equal("svc.billing", client.ApplicationUserName);
        var asked = Assert.Single(_directory.Requests<FindUserRequest>("FindUser"));
        Assert.Equal(("user_name", "svc.billing"), (asked.Field, asked.Value));
    }

    [Fact]
    public async Task AnUnknownApplicationUserIsNamed()
    {
        var errors = await RefusedAsync(WebApp with { ApplicationUser = "svc.ghost" });

        Assert.Contains("svc.ghost", Assert.Single(errors["applicationUser"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDirectoryBeingAwayIsNotARefusalOfTheRegistration()
    {
        _directory.On<FindUserRequest, UserReply>("FindUser", _ => throw new RpcException(new Status(StatusCode.Unavailable, "directory is away")));

        var e = await Assert.ThrowsAsync<RpcException>(() => ValidateAsync(WebApp with { ApplicationUser = "svc.billing" }));

        Assert.True(ClientValidator.IsUnavailable(e));
        Assert.False(ClientValidator.IsUnavailable(new RpcException(new Status(StatusCode.InvalidArgument, "bad field"))));
    }

    [Fact]
    public async Task TokenExchangeNeedsATrustAndOmittedTrustsKeepTheStoredOnes()
    {
        var exchanging = WebApp with { GrantTypes = [GrantTypes.TokenExchange], RedirectUris = null, AllowedOrigins = [] };
        Assert.Equal(new[] { "trusts" }, (await RefusedAsync(exchanging)).Keys);

        var existing = new ClientRecord { ClientId = ClientId, Name = "Billing", Trusts = ["corp-idp"] };
        Assert.Equal(new[] { "corp-idp" }, (await AcceptedAsync(exchanging, existing)).Trusts);
        Assert.Equal(new[] { "trusts" }, (await RefusedAsync(exchanging with { Trusts = [] }, existing)).Keys);
    }

    [Fact]
    public async Task ARefusedRegistrationAlsoNamesUnknownScopesAndTrustsButClaimsNothing()
    {
        var errors = await RefusedAsync(WebApp with { Name = "", Scopes = ["openid", "ghost.scope"], DefaultScopes = [], Trusts = ["ghost-idp"] });

        Assert.Equal(new[] { "name", "scopes", "trusts" }, errors.Keys.Order(StringComparer.Ordinal));
        Assert.True(Assert.Single(_owners.ScopeClaims).CheckOnly);
        Assert.True(Assert.Single(_owners.TrustClaims).CheckOnly);
    }

    [Fact]
    public async Task TheJwtBearerGrantNeedsAVerifierWithSomeKey()
    {
        var bearer = WebApp with { GrantTypes = [GrantTypes.JwtBearer], RedirectUris = null, AllowedOrigins = [] };

        Assert.Equal(new[] { "jwtVerifier" }, (await RefusedAsync(bearer)).Keys);
        Assert.Equal(new[] { "jwtVerifier" }, (await RefusedAsync(bearer with { JwtVerifier = new VerifierSettings() })).Keys);
    }

    [Fact]
    public async Task AGivenSharedKeyIsSealedToTheClientAndNeverStoredInTheSettings()
    {
        var bearer = WebApp with
        {
            GrantTypes = [GrantTypes.JwtBearer], RedirectUris = null, AllowedOrigins = [],
            JwtVerifier = new VerifierSettings { SharedKey = SharedKey, Algorithms = ["HS256"] },
        };

        var client = await AcceptedAsync(bearer);

        Assert.NotNull(client.JwtVerifier);
        Assert.DoesNotContain(SharedKey, client.JwtVerifier, StringComparison.Ordinal);
        Assert.Null(client.Verifier!.SharedKey);
        Assert.Equal(SharedKey, _sharedKeys.Open(client.SharedKeyEnc!, ClientId));
        Assert.ThrowsAny<CryptographicException>(() => _sharedKeys.Open(client.SharedKeyEnc!, "another-app"));
    }

    [Fact]
    public async Task AnOmittedSharedKeyKeepsTheStoredOneAndAnEmptyOneRemovesIt()
    {
        var stored = _sharedKeys.Seal(SharedKey, ClientId);
        var existing = new ClientRecord { ClientId = ClientId, Name = "Billing", SharedKeyEnc = stored, JwtVerifier = "{}" };
        var bearer = WebApp with
        {
            GrantTypes = [GrantTypes.JwtBearer], RedirectUris = null, AllowedOrigins = [],
            JwtVerifier = new VerifierSettings { Algorithms = ["HS256"] },
        };

        Assert.Same(stored, (await AcceptedAsync(bearer, existing)).SharedKeyEnc);

        var removed = await RefusedAsync(bearer with { JwtVerifier = new VerifierSettings { SharedKey = "" } }, existing);
        Assert.Equal(new[] { "jwtVerifier" }, removed.Keys);
    }

    [Fact]
    public async Task AShortSharedKeyIsRefused() =>
        Assert.Contains("jwtVerifier.sharedKey", (await RefusedAsync(WebApp with
        {
            GrantTypes = [GrantTypes.JwtBearer], RedirectUris = null, AllowedOrigins = [],
            JwtVerifier = new VerifierSettings { SharedKey = "too-short" },
        })).Keys);
}
