using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.ClientRegistry.Tests;

/// <summary>
/// Before a save commits, each owner is told what the client's new version uses: claimed for real
/// when everything is known, only checked once something is not (the save will not commit), and
/// every unknown name reported under its field.
/// </summary>
public class UseClaimsTests
{
    private readonly Owners _owners = new(scopes: ["openid", "table.read"], trusts: ["corp-idp"]);

    private static ClientRecord Client(string[] scopes, string[] trusts) =>
        new() { ClientId = "billing-app", Name = "Billing", Scopes = scopes, Trusts = trusts, Version = 7 };

    [Fact]
    public async Task WhatTheClientUsesIsClaimedFromEachOwnerAtItsNewVersion()
    {
        var refusal = await _owners.Claims.ClaimAsync(Client(["openid", "table.read"], ["corp-idp"]), 8, CancellationToken.None);

        Assert.Null(refusal);
        var trusts = Assert.Single(_owners.TrustClaims);
        Assert.Equal(("billing-app", 8L, false), (trusts.ClientId, trusts.Version, trusts.CheckOnly));
        Assert.Equal(new[] { "corp-idp" }, trusts.Trusts);
        var scopes = Assert.Single(_owners.ScopeClaims);
        Assert.Equal(("billing-app", 8L, false), (scopes.ClientId, scopes.Version, scopes.CheckOnly));
        Assert.Equal(new[] { "openid", "table.read" }, scopes.Scopes);
    }

    [Fact]
    public async Task AnUnknownTrustRefusesTheSaveAndTheScopesAreThenOnlyChecked()
    {
        var refusal = await _owners.Claims.ClaimAsync(Client(["openid", "ghost.scope"], ["corp-idp", "ghost-idp"]), 8, CancellationToken.None);

        Assert.NotNull(refusal);
        var errors = refusal.Errors;
        Assert.Contains("ghost-idp", Assert.Single(errors["trusts"]), StringComparison.Ordinal);
        Assert.Contains("ghost.scope", Assert.Single(errors["scopes"]), StringComparison.Ordinal);
        Assert.False(Assert.Single(_owners.TrustClaims).CheckOnly);
        Assert.True(Assert.Single(_owners.ScopeClaims).CheckOnly);
    }

    [Fact]
    public async Task AnUnknownScopeRefusesTheSave()
    {
        var refusal = await _owners.Claims.ClaimAsync(Client(["openid", "ghost.scope"], []), 8, CancellationToken.None);

        Assert.NotNull(refusal);
        Assert.Equal(new[] { "scopes" }, refusal.Errors.Keys);
        Assert.Empty(_owners.TrustClaims);
    }

    [Fact]
    public async Task AClientUsingNothingAsksNoOne()
    {
        Assert.Null(await _owners.Claims.ClaimAsync(Client([], []), 2, CancellationToken.None));

        Assert.Equal(0, _owners.ScopePolicy.Count + _owners.FederationTrust.Count);
    }

    [Fact]
    public async Task ACheckForARefusedSaveAddsTheUnknownNamesAndClaimsNothing()
    {
        var validation = new Validation().Add("name", "is required: 1-200 characters");

        await _owners.Claims.CheckAsync(validation, "billing-app", ["openid", "ghost.scope"], ["ghost-idp"], CancellationToken.None);

        Assert.Equal(new[] { "name", "scopes", "trusts" }, validation.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(_owners.TrustClaims, r => Assert.True(r.CheckOnly));
        Assert.All(_owners.ScopeClaims, r => Assert.True(r.CheckOnly));
        Assert.Single(_owners.ScopeClaims);
    }
}
