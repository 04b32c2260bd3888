namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// One service's database on a server we run ourselves or were given (local or external mode).
/// It becomes Running when its server is ready; the service creates and migrates it on start.
/// </summary>
public sealed class ServiceDatabaseResource(string name, string databaseName, IResourceWithConnectionString server)
    : Resource(name), IResourceWithParent<IResourceWithConnectionString>, IResourceWithConnectionString
{
    public IResourceWithConnectionString Parent => server;

    public string DatabaseName => databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{server};Database={databaseName}");
}
