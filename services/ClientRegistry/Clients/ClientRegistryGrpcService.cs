namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>The ClientRegistry contract. Its methods answer UNIMPLEMENTED until their issue fills them in.</summary>
public sealed class ClientRegistryGrpcService : Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryBase;
