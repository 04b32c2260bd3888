using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Scopes;

namespace OAuthAspire.ScopePolicy.Scopes;

/// <summary>The ScopePolicy contract. Methods not overridden yet answer UNIMPLEMENTED.</summary>
public sealed class ScopePolicyGrpcService(ScopeStore scopes) : Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyBase
{
    public override async Task<ListScopesReply> ListScopes(ListScopesRequest request, ServerCallContext context)
    {
        var rows = await scopes.ListAsync(request.IncludeInactive, context.CancellationToken);
        var reply = new ListScopesReply();
        reply.Scopes.AddRange(rows.Select(r => new Scope { Name = r.Name, Description = r.Description, Active = r.Active }));
        return reply;
    }

    /// <summary>Every requested scope must be allowed for the client and active; none requested means its defaults.</summary>
    public override async Task<ResolveGrantedScopesReply> ResolveGrantedScopes(ResolveGrantedScopesRequest request, ServerCallContext context)
    {
        var active = (await scopes.ListAsync(includeInactive: false, context.CancellationToken)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var decision = ScopeDecision.Decide(request.Requested, request.Allowed, request.Defaults, active);
        var reply = new ResolveGrantedScopesReply { Ok = decision.Granted };
        reply.Granted.AddRange(decision.Scopes);
        reply.Refused.AddRange(decision.Refused);
        return reply;
    }
}
