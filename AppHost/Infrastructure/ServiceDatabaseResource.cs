namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// One service's database, reached with the service's own login role (named after the database,
/// password <c>db-password-&lt;database&gt;</c>), never the server's administrator. It becomes Running
/// once the AppHost has provisioned role and database (<see cref="DatabaseProvisioning"/>); the
/// service then migrates it as that role.
/// </summary>
/// <remarks>
/// Not an <see cref="IResourceWithParent"/>: the orchestrator copies a container parent's state onto
/// such children, which would mark the database Running before it is provisioned. The dashboard
/// nests it under its server through a parent relationship instead.
/// </remarks>
public sealed class ServiceDatabaseResource(string name, string databaseName, ReferenceExpression serverAddress, ParameterResource password)
    : Resource(name), IResourceWithConnectionString
{
    public string DatabaseName => databaseName;

    /// <summary>The login role: the database's name.</summary>
    public string RoleName => databaseName;

    public ParameterResource Password => password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{serverAddress};Username={databaseName};Password={password};Database={databaseName}");
}
