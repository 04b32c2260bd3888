using Grpc.Core;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.FederationTrust.SignIn;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>The FederationTrust contract: validate external tokens (for the edge and token exchange), which clients are bound to which trust, and sign-in through providers (for the login page).</summary>
public sealed class FederationTrustGrpcService(ExternalTokenValidation validation, ClientUseView uses, ProviderSignIns signIns) : Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustBase
{
    [AllowedCallers(ServiceNames.Edge, ServiceNames.Token)]
    public override Task<ValidateExternalTokenReply> ValidateExternalToken(ValidateExternalTokenRequest request, ServerCallContext context) =>
        validation.ValidateAsync(request, context.CancellationToken);

    /// <summary>A client's save, before it commits: its trusts, locked while their use is recorded (see <see cref="ClientUseView"/>).</summary>
    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<ClaimTrustsReply> ClaimTrusts(ClaimTrustsRequest request, ServerCallContext context)
    {
        if (!request.CheckOnly)
        {
            ClientUses.RequireClient(request.ClientId, request.Version);
        }

        var unknown = await uses.ClaimAsync(request.ClientId, request.Version, request.Trusts, request.CheckOnly, TrustStore.LockNamedAsync,
            context.CancellationToken);
        var reply = new ClaimTrustsReply();
        reply.Unknown.AddRange(unknown);
        return reply;
    }

    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<TrustUseViewReply> GetUseViewState(TrustUseViewRequest request, ServerCallContext context) =>
        new() { Initialized = await uses.IsInitializedAsync(context.CancellationToken) };

    /// <summary>client-registry's backfill: every client it holds, read whole before the one transaction that settles them.</summary>
    [AllowedCallers(ServiceNames.ClientRegistry)]
    public override async Task<ReplaceTrustUsesReply> ReplaceTrustUses(IAsyncStreamReader<ClientTrusts> requestStream, ServerCallContext context)
    {
        var all = new List<ClientUses>();
        await foreach (var client in requestStream.ReadAllAsync(context.CancellationToken))
        {
            all.Add(ClientUses.FromCall(client.ClientId, client.Version, client.Deleted, client.Trusts));
        }

        await uses.ReplaceAsync(all, context.CancellationToken);
        return new ReplaceTrustUsesReply { Clients = all.Count };
    }

    [AllowedCallers(ServiceNames.Authorize)]
    public override Task<ListSignInProvidersReply> ListSignInProviders(ListSignInProvidersRequest request, ServerCallContext context) =>
        signIns.ListAsync(context.CancellationToken);

    [AllowedCallers(ServiceNames.Authorize)]
    public override Task<BeginSignInReply> BeginSignIn(BeginSignInRequest request, ServerCallContext context) =>
        signIns.BeginAsync(request, context.CancellationToken);

    [AllowedCallers(ServiceNames.Authorize)]
    public override Task<CompleteSignInReply> CompleteSignIn(CompleteSignInRequest request, ServerCallContext context) =>
        signIns.CompleteAsync(request, context.CancellationToken);
}
