namespace OAuthAspire.Token.Issuance;

/// <summary>The TokenIssuer contract. Its methods answer UNIMPLEMENTED until their issue fills them in.</summary>
public sealed class TokenIssuerGrpcService : Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerBase;
