using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Grpc;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.ScopePolicy.Scopes;

/// <summary>The ScopePolicy contract: scope listing and resolution, API policies and single API decisions.</summary>
public sealed class ScopePolicyGrpcService(ScopeStore scopes, Policies.PolicyStore policies, IServiceProvider services) : Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyBase
{
    [AllowedCallers(ServiceNames.Edge)]
    public override async Task<ListApiPoliciesReply> ListApiPolicies(ListApiPoliciesRequest request, ServerCallContext context)
    {
        var reply = new ListApiPoliciesReply();
        foreach (var policy in await policies.ListAsync(context.CancellationToken))
        {
            var message = new Contracts.Grpc.ScopePolicy.ApiPolicy { Name = policy.Name, BasePath = policy.BasePath };
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

    /// <summary>
    /// One decision, for gateways that keep no policy snapshot (the edge decides locally from
    /// ListApiPolicies, by the same rules): the scopes that count are the presented ones that are
    /// active and, when a client is named, still allowed to it.
    /// </summary>
    [AllowedCallers] // No service calls it: refused to every caller until one needs it.
    public override async Task<AuthorizeApiRequestReply> AuthorizeApiRequest(AuthorizeApiRequestRequest request, ServerCallContext context)
    {
        var path = ApiPath.Canonicalize(request.Path, out var problem);
        if (path is null)
        {
            return new AuthorizeApiRequestReply { Allowed = false, Reason = $"ambiguous path: {problem}" };
        }

        var counted = (await scopes.ListAsync(includeInactive: false, context.CancellationToken)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        counted.IntersectWith(request.Scopes);
        if (request.ClientId.Length > 0)
        {
            var client = await services.GetRequiredService<ClientRegistryClient>()
                .GetClientAsync(new GetClientRequest { ClientId = request.ClientId }, cancellationToken: context.CancellationToken);
            if (!client.Found || !client.Client.Active)
            {
                return new AuthorizeApiRequestReply { Allowed = false, Reason = "the client is unknown or inactive" };
            }

            counted.IntersectWith(client.Client.Scopes);
        }

        if (ApiPath.IsUnder(path, ApiPolicies.AdminPrefix))
        {
            // The admin APIs' own rule; the gateway checks the administrator role besides.
            var admin = new AuthorizeApiRequestReply { Allowed = counted.Contains(AdminApi.AdminScope), CacheSeconds = 60, Reason = "the admin APIs need admin.api and an administrator role" };
            admin.RequiredScopes.Add(AdminApi.AdminScope);
            return admin;
        }

        var decision = ApiPolicies.Decide(await policies.ListAsync(context.CancellationToken), request.Method, path, counted);
        var reply = new AuthorizeApiRequestReply { Allowed = decision.Allowed, CacheSeconds = 60, Policy = decision.Policy ?? "", Reason = decision.Reason };
        reply.RequiredScopes.AddRange(decision.RequiredScopes);
        return reply;
    }

    [AllowedCallers(ServiceNames.Authorize, ServiceNames.ClientRegistry, ServiceNames.FederationTrust, ServiceNames.Token)]
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
        var active = (await scopes.ListAsync(includeInactive: false, context.CancellationToken)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var decision = ScopeDecision.Decide(request.Requested, request.Allowed, request.Defaults, active);
        var reply = new ResolveGrantedScopesReply { Ok = decision.Granted };
        reply.Granted.AddRange(decision.Scopes);
        reply.Refused.AddRange(decision.Refused);
        return reply;
    }
}
