using Grpc.Core;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.FederationTrust.Validation;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>The FederationTrust contract: validate external tokens (for the edge and token exchange), list trusts.</summary>
public sealed class FederationTrustGrpcService(ExternalTokenValidation validation, TrustStore store) : Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustBase
{
    public override Task<ValidateExternalTokenReply> ValidateExternalToken(ValidateExternalTokenRequest request, ServerCallContext context) =>
        validation.ValidateAsync(request, context.CancellationToken);

    public override async Task<ListTrustsReply> ListTrusts(ListTrustsRequest request, ServerCallContext context)
    {
        var reply = new ListTrustsReply();
        reply.Trusts.AddRange((await store.ListAsync(context.CancellationToken))
            .Select(t => new TrustSummary { Id = t.Id.ToString(), Name = t.Name, Issuer = t.Issuer, Active = t.Active }));
        return reply;
    }
}
