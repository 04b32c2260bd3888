using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.Authorize.Clients;

/// <summary>A registered client as the authorize service caches it from the registry (see <see cref="RegisteredClients"/>).</summary>
public sealed record RegisteredClient(Client Client)
{
    /// <summary>The protocol core's view of this client, built once per cached entry rather than per request.</summary>
    public ClientProfile Profile { get; } = new(Client.ClientId, Client.Active, Client.Public, Client.PkceRequired, Client.RedirectUris,
        Client.GrantTypes.ToHashSet(StringComparer.Ordinal)) { AllowedResources = Client.AllowedResources };

    public string ClientId => Client.ClientId;

    public string Name => Client.Name;

    /// <summary>RFC 9126 §6: its authorization requests are taken only pushed first.</summary>
    public bool RequirePushedAuthorizationRequests => Client.RequirePushedAuthorizationRequests;

    /// <summary>RFC 9101 §10.5: its authorization requests are taken only as request objects it signed (sent directly or pushed).</summary>
    public bool RequireSignedRequestObject => Client.RequireSignedRequestObject;

    /// <summary>It registered itself (RFC 7591 §5) or described itself in its metadata document: its name and logo are its own claims, so pages say so and show no logo.</summary>
    public bool Unverified => Client.Origin is "registration" or ClientIdMetadataDocument.Origin;

    /// <summary>Its client_id is the URL of its metadata document: the host pages name, and consent is asked every time.</summary>
    public string? DocumentHost { get; } = Client.Origin == ClientIdMetadataDocument.Origin && Uri.TryCreate(Client.ClientId, UriKind.Absolute, out var url) ? url.Host : null;

    public string? LogoUrl => Client.LogoUrl.Length == 0 || Unverified ? null : Client.LogoUrl;
}
