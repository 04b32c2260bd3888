namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// Makes a client that is named by a URL known before it is looked up (Client ID Metadata Documents,
/// in Registration): the contract asks it when a <c>GetClient</c> says to resolve.
/// </summary>
public interface IClientResolver
{
    /// <summary>Whether this id is one it resolves (a URL).</summary>
    bool Resolves(string clientId);

    /// <returns>False when the client cannot be used now: the lookup answers "not found".</returns>
    Task<bool> ResolveAsync(string clientId, CancellationToken cancellationToken);
}
