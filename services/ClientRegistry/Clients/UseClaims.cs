using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.ServiceDefaults.Admin;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// A client's scopes belong to scope-policy and its trusts to federation-trust, which refuse to
/// delete one that a client uses, from a view of their own (they never call this service back).
/// Before a save commits, each owner is told what the client's new version uses: it locks those
/// names, so none is deleted meanwhile, and records the use; or it answers which names it does not
/// know, and the save is refused with them. A save that fails after its claim leaves a use recorded
/// until the client's next change settles it: the owners may over-report a use, never miss one.
/// </summary>
public sealed class UseClaims(ScopePolicyClient scopePolicy, FederationTrustClient federationTrust)
{
    /// <summary>Claims what <paramref name="client"/> uses at <paramref name="version"/>.</summary>
    /// <returns>The refusal (unknown scopes or trusts, by field), or null when everything is claimed.</returns>
    public async Task<Validation?> ClaimAsync(ClientRecord client, long version, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        await AskAsync(validation, client.ClientId, version, client.Scopes, client.Trusts, checkOnly: false, cancellationToken);
        return validation.IsValid ? null : validation;
    }

    /// <summary>For a save refused anyway: adds its unknown scopes and trusts to the refusal, claiming nothing.</summary>
    public Task CheckAsync(Validation validation, string clientId, string[] scopes, string[] trusts, CancellationToken cancellationToken) =>
        AskAsync(validation, clientId, 0, scopes, trusts, checkOnly: true, cancellationToken);

    private async Task AskAsync(Validation validation, string clientId, long version, string[] scopes, string[] trusts, bool checkOnly,
        CancellationToken cancellationToken)
    {
        // Trusts first: when one is unknown, the save will not commit, so the scopes are only checked.
        if (trusts.Length > 0)
        {
            var request = new ClaimTrustsRequest { ClientId = clientId, Version = version, CheckOnly = checkOnly };
            request.Trusts.AddRange(trusts);
            var unknown = (await federationTrust.ClaimTrustsAsync(request, cancellationToken: cancellationToken)).Unknown;
            validation.Require(unknown.Count == 0, "trusts", $"unknown trust(s): {string.Join(", ", unknown)}");
            checkOnly |= unknown.Count > 0;
        }

        if (scopes.Length > 0)
        {
            var request = new ClaimScopesRequest { ClientId = clientId, Version = version, CheckOnly = checkOnly };
            request.Scopes.AddRange(scopes);
            var unknown = (await scopePolicy.ClaimScopesAsync(request, cancellationToken: cancellationToken)).Unknown;
            validation.Require(unknown.Count == 0, "scopes", $"unknown or inactive scope(s): {string.Join(", ", unknown)}");
        }
    }
}
