using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.ScopePolicy.Scopes;

/// <summary>The ScopePolicy contract: scope listing and resolution, the API policy snapshot, and which clients use which scope.</summary>
public sealed class ScopePolicyGrpcService(ScopeStore scopes, PolicyStore policies, ClientUseView uses) : Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyBase
{
    // The edge decides API calls by it; authorize and token check and narrow resource indicators (RFC 8707) by it.
    [AllowedCallers(ServiceNames.Edge, ServiceNames.Authorize, ServiceNames.Token)]
    public override async Task<ListApiPoliciesReply> ListApiPolicies(ListApiPoliciesRequest request, ServerCallContext context)
    {
        var reply = new ListApiPoliciesReply();
        foreach (var policy in await policies.ListAsync(context.CancellationToken))
        {
            var message = new Contracts.Grpc.ScopePolicy.ApiPolicy
            {
                Name = policy.Name, BasePath = policy.BasePath, Resource = policy.Resource ?? "", AcceptDefaultAudience = policy.AcceptDefaultAudience,
            };
            foreach (var rule in policy.Rules)
            {
                var r = new Contracts.Grpc.ScopePolicy.ApiRule { Resource = rule.Resource };
                r.Methods.AddRange(rule.Methods);
                r.Scopes.AddRange(rule.Scopes);
                message.Rules.Add(r);
            }

            reply.Policies.Add(message);
        }

        reply.ActiveScopes.AddRange((await scopes.ListAsync(includeInactive: false, context.CancellationToken)).Select(s => s.Name));
        return reply;
    }

    [AllowedCallers(ServiceNames.Authorize, ServiceNames.FederationTrust, ServiceNames.Token)]
    public override async Task<ListScopesReply> ListScopes(ListScopesRequest request, ServerCallContext context)
    {
        var rows = await scopes.ListAsync(request.IncludeInactive, context.CancellationToken);
        var reply = new ListScopesReply();
        reply.Scopes.AddRange(rows.Select(r => new Scope { Name = r.Name, Description = r.Description, Active = r.Active }));
        return reply;
    }

    /// <summary>Every requested scope must be allowed for the client and active; none requested means its defaults.</summary>
    [AllowedCallers(ServiceNames.Authorize, ServiceNames.Token)]
    public override async Task<ResolveGrantedScopesReply> ResolveGrantedScopes(ResolveGrantedScopesRequest request, ServerCallContext context)
    {
        var active = await scopes.ActiveAmongAsync(request.Requested.Concat(request.Allowed).Concat(request.Defaults), context.CancellationToken);
        var decision = ScopeDecision.Decide(request.Requested, request.Allowed, request.Defaults, active);
        var reply = new ResolveGrantedScopesReply { Ok = decision.Granted };
        reply.Granted.AddRange(decision.Scopes);
        reply.Refused.AddRange(decision.Refused);
        return reply;
    }

    /// <summary>A client's save, before it commits: its scopes, locked while their use is recorded (see <see cref="ClientUseView"/>).</summary>
    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<ClaimScopesReply> ClaimScopes(ClaimScopesRequest request, ServerCallContext context)
    {
        if (!request.CheckOnly)
        {
            ClientUses.RequireClient(request.ClientId, request.Version);
        }

        var unknown = await uses.ClaimAsync(request.ClientId, request.Version, request.Scopes, request.CheckOnly, ScopeStore.LockActiveAsync,
            context.CancellationToken);
        var reply = new ClaimScopesReply();
        reply.Unknown.AddRange(unknown);
        return reply;
    }

    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<ScopeUseViewReply> GetUseViewState(ScopeUseViewRequest request, ServerCallContext context) =>
        new() { Initialized = await uses.IsInitializedAsync(context.CancellationToken) };

    /// <summary>client-registry's backfill: every client it holds, read whole before the one transaction that settles them.</summary>
    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<ReplaceScopeUsesReply> ReplaceScopeUses(IAsyncStreamReader<ClientScopes> requestStream, ServerCallContext context)
    {
        var all = new List<ClientUses>();
        await foreach (var client in requestStream.ReadAllAsync(context.CancellationToken))
        {
            all.Add(ClientUses.FromCall(client.ClientId, client.Version, client.Deleted, client.Scopes));
        }

        await uses.ReplaceAsync(all, context.CancellationToken);
        return new ReplaceScopeUsesReply { Clients = all.Count };
    }
}
