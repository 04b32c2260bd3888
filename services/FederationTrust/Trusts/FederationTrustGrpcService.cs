using Grpc.Core;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.FederationTrust.Validation;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>The FederationTrust contract: validate external tokens (for the edge and token exchange), list trusts.</summary>
public sealed class FederationTrustGrpcService(ExternalTokenValidation validation, TrustStore store) : Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustBase
{
    [AllowedCallers(ServiceNames.Edge, ServiceNames.Token)]
    public override Task<ValidateExternalTokenReply> ValidateExternalToken(ValidateExternalTokenRequest request, ServerCallContext context) =>
        validation.ValidateAsync(request, context.CancellationToken);

    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<ListTrustsReply> ListTrusts(ListTrustsRequest request, ServerCallContext context)
    {
        var reply = new ListTrustsReply();
        reply.Trusts.AddRange((await store.ListAsync(context.CancellationToken))
            .Select(t => new TrustSummary { Id = t.Id.ToString(), Name = t.Name, Issuer = t.Issuer, Active = t.Active }));
        return reply;
    }
}
