namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>A client as the views of scope-policy and federation-trust need it.</summary>
public sealed record ClientUsesRow
{
    public string ClientId { get; init; } = "";
    public long Version { get; init; }
    public bool Deleted { get; init; }
    public string[] Scopes { get; init; } = [];
    public string[] Trusts { get; init; } = [];
}
