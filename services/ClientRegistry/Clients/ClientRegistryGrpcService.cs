using Google.Protobuf;
using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>The ClientRegistry contract: applications and their credentials for the other services.</summary>
public sealed class ClientRegistryGrpcService(ClientStore store, SharedKeyProtector sharedKeys) : Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryBase
{
    /// <summary>The client's JWT verifier settings, shared key included (internal callers only: the token service).</summary>
    [AllowedCallers(ServiceNames.Token)]
    public override async Task<GetVerifierKeysReply> GetVerifierKeys(GetVerifierKeysRequest request, ServerCallContext context)
    {
        var client = await store.FindAsync(request.ClientId, context.CancellationToken);
        if (client?.Verifier is not { } verifier)
        {
            return new GetVerifierKeysReply { Found = false };
        }

        var full = verifier with { SharedKey = client.SharedKeyEnc is null ? null : sharedKeys.Open(client.SharedKeyEnc, client.ClientId) };
        return new GetVerifierKeysReply
        {
            Found = true,
            JwksUri = verifier.JwksUri ?? "",
            JwksCacheSeconds = (int)verifier.JwksCacheDuration.TotalSeconds,
            SettingsJson = System.Text.Json.JsonSerializer.Serialize(full, System.Text.Json.JsonSerializerOptions.Web),
        };
    }

    [AllowedCallers] // No service calls it: refused to every caller until one needs it.
    public override async Task<AuthenticateClientReply> AuthenticateClient(AuthenticateClientRequest request, ServerCallContext context)
    {
        var client = await store.FindAsync(request.ClientId, context.CancellationToken);
        // Always one hash and one constant-time comparison, known client or not.
        var matches = ClientSecrets.Matches(client?.SecretHash, request.ClientSecret);
        var failure = client switch
        {
            null => "unknown_client",
            { SecretHash: null } => "no_secret",
            _ when !matches => "bad_secret",
            { Active: false } => "inactive",
            _ => "",
        };
        return failure.Length == 0
            ? new AuthenticateClientReply { Ok = true, Client = ToMessage(client!) }
            : new AuthenticateClientReply { Ok = false, Failure = failure };
    }

    [AllowedCallers(ServiceNames.Authorize, ServiceNames.Edge, ServiceNames.ScopePolicy, ServiceNames.Token)]
    public override async Task<ClientReply> GetClient(GetClientRequest request, ServerCallContext context) =>
        await store.FindAsync(request.ClientId, context.CancellationToken) is { } client
            ? new ClientReply { Found = true, Client = ToMessage(client) }
            : new ClientReply { Found = false };

    [AllowedCallers(ServiceNames.ScopePolicy)]
    public override async Task<IsScopeInUseReply> IsScopeInUse(IsScopeInUseRequest request, ServerCallContext context)
    {
        var clients = await store.ClientsUsingScopeAsync(request.Scope, context.CancellationToken);
        var reply = new IsScopeInUseReply { InUse = clients.Count > 0 };
        reply.ClientIds.AddRange(clients);
        return reply;
    }

    [AllowedCallers(ServiceNames.FederationTrust)]
    public override async Task<IsTrustInUseReply> IsTrustInUse(IsTrustInUseRequest request, ServerCallContext context)
    {
        var clients = await store.ClientsBoundToTrustAsync(request.Trust, context.CancellationToken);
        var reply = new IsTrustInUseReply { InUse = clients.Count > 0 };
        reply.ClientIds.AddRange(clients);
        return reply;
    }

    /// <summary>The union of active clients' origins: a preflight names no client, so the edge decides from all of them.</summary>
    [AllowedCallers(ServiceNames.Edge)]
    public override async Task<ListAllowedOriginsReply> ListAllowedOrigins(ListAllowedOriginsRequest request, ServerCallContext context)
    {
        var reply = new ListAllowedOriginsReply();
        reply.Origins.AddRange(await store.AllowedOriginsAsync(context.CancellationToken));
        return reply;
    }

    public static Client ToMessage(ClientRecord c)
    {
        var message = new Client
        {
            ClientId = c.ClientId,
            Name = c.Name,
            Public = c.Public,
            PkceRequired = c.PkceRequired,
            AccessTokenLifespan = c.AccessTokenLifespan,
            RefreshTokenLifespan = c.RefreshTokenLifespan,
            ApplicationUser = c.ApplicationUserSysId ?? "",
            ApplicationUserName = c.ApplicationUserName ?? "",
            CanIntrospect = c.CanIntrospect,
            LogoUrl = c.LogoUrl ?? "",
            Active = c.Active,
            Version = c.Version,
            SecretHash = c.SecretHash is null ? ByteString.Empty : ByteString.CopyFrom(c.SecretHash),
        };
        message.RedirectUris.AddRange(c.RedirectUris);
        message.PostLogoutRedirectUris.AddRange(c.PostLogoutRedirectUris);
        message.GrantTypes.AddRange(c.GrantTypes);
        message.Scopes.AddRange(c.Scopes);
        message.DefaultScopes.AddRange(c.DefaultScopes);
        message.Trusts.AddRange(c.Trusts);
        return message;
    }
}
