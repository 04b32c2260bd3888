namespace OAuthAspire.Authorize.Users;

/// <summary>The Directory contract. Its methods answer UNIMPLEMENTED until their issue fills them in.</summary>
public sealed class DirectoryGrpcService : Contracts.Grpc.Directory.Directory.DirectoryBase;
