using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.ClientRegistry.Tests;

/// <summary>
/// Scope-policy and federation-trust as client-registry calls them: they know the scopes and trusts
/// given, and answer every other name as unknown.
/// </summary>
internal sealed class Owners
{
    public Owners(IEnumerable<string> scopes, IEnumerable<string> trusts)
    {
        var knownScopes = scopes.ToHashSet(StringComparer.Ordinal);
        var knownTrusts = trusts.ToHashSet(StringComparer.Ordinal);
        ScopePolicy.On<ClaimScopesRequest, ClaimScopesReply>("ClaimScopes", request =>
        {
            var reply = new ClaimScopesReply();
            reply.Unknown.AddRange(request.Scopes.Where(s => !knownScopes.Contains(s)));
            return reply;
        });
        FederationTrust.On<ClaimTrustsRequest, ClaimTrustsReply>("ClaimTrusts", request =>
        {
            var reply = new ClaimTrustsReply();
            reply.Unknown.AddRange(request.Trusts.Where(t => !knownTrusts.Contains(t)));
            return reply;
        });
        Claims = new UseClaims(new ScopePolicyClient(ScopePolicy), new FederationTrustClient(FederationTrust));
    }

    public CannedCalls ScopePolicy { get; } = new();

    public CannedCalls FederationTrust { get; } = new();

    public UseClaims Claims { get; }

    public IReadOnlyList<ClaimScopesRequest> ScopeClaims => ScopePolicy.Requests<ClaimScopesRequest>("ClaimScopes");

    public IReadOnlyList<ClaimTrustsRequest> TrustClaims => FederationTrust.Requests<ClaimTrustsRequest>("ClaimTrusts");
}
