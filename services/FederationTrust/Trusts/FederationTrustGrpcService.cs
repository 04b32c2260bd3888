namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>The FederationTrust contract. Its methods answer UNIMPLEMENTED until their issue fills them in.</summary>
public sealed class FederationTrustGrpcService : Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustBase;
