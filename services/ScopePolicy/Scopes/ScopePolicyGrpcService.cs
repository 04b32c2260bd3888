using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ScopePolicy;

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
}
