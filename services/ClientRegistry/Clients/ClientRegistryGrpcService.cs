using Google.Protobuf;
using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>The ClientRegistry contract: applications and their credentials for the other services.</summary>
public sealed class ClientRegistryGrpcService(ClientStore store, SharedKeyProtector sharedKeys, IClientResolver resolver) : Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryBase
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

    [AllowedCallers(ServiceNames.Authorize, ServiceNames.Edge, ServiceNames.Token)]
    public override async Task<ClientReply> GetClient(GetClientRequest request, ServerCallContext context) =>
        (!request.Resolve || !resolver.Resolves(request.ClientId) || await resolver.ResolveAsync(request.ClientId, context.CancellationToken))
            && await store.FindAsync(request.ClientId, context.CancellationToken) is { } client
            ? new ClientReply { Found = true, Client = ToMessage(client) }
            : new ClientReply { Found = false };

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
            DpopBoundAccessTokens = c.DpopBoundAccessTokens,
            DpopNonceRequired = c.DpopNonceRequired,
            TlsClientAuthSubjectDn = c.TlsClientAuthSubjectDn ?? "",
            TlsClientAuthSanDns = c.TlsClientAuthSanDns ?? "",
            TlsClientAuthSanUri = c.TlsClientAuthSanUri ?? "",
            TlsClientAuthSanIp = c.TlsClientAuthSanIp ?? "",
            TlsClientAuthSanEmail = c.TlsClientAuthSanEmail ?? "",
            TlsClientCertificateBoundAccessTokens = c.TlsClientCertificateBoundAccessTokens,
            RequirePushedAuthorizationRequests = c.RequirePushedAuthorizationRequests,
            RequireSignedRequestObject = c.RequireSignedRequestObject,
            AccessTokenSigningAlg = c.AccessTokenSigningAlg ?? "",
            IdTokenSignedResponseAlg = c.IdTokenSignedResponseAlg ?? "",
            Profile = c.Profile ?? "",
            Origin = c.Origin,
            SecretHash = c.SecretHash is null ? ByteString.Empty : ByteString.CopyFrom(c.SecretHash),
        };
        message.RedirectUris.AddRange(c.RedirectUris);
        message.PostLogoutRedirectUris.AddRange(c.PostLogoutRedirectUris);
        message.GrantTypes.AddRange(c.GrantTypes);
        message.Scopes.AddRange(c.Scopes);
        message.DefaultScopes.AddRange(c.DefaultScopes);
        message.Trusts.AddRange(c.Trusts);
        message.AllowedResources.AddRange(c.AllowedResources);
        // What the token service compares a presented certificate with (RFC 8705 §3.1 thumbprint of the DER).
        message.TlsClientCertificateThumbprints.AddRange(c.TlsClientCertificates.Select(der => MtlsProtocol.Thumbprint(Convert.FromBase64String(der))));
        return message;
    }
}
