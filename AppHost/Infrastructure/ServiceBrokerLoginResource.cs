namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// One service's RabbitMQ login (user = the service's name, password <c>rabbitmq-password-&lt;service&gt;</c>,
/// the permissions of <see cref="BrokerPermissions"/>), given to the service as <c>ConnectionStrings__rabbitmq</c>.
/// It becomes Running once the AppHost has created the user and the audit topology
/// (<see cref="BrokerProvisioning"/>). Not an <see cref="IResourceWithParent"/>, like <see cref="ServiceDatabaseResource"/>.
/// </summary>
/// <param name="address">Where the broker listens, after the URI's user info: <c>host:port/</c> (and virtual host).</param>
public sealed class ServiceBrokerLoginResource(string name, string userName, string scheme, ReferenceExpression address, ParameterResource password)
    : Resource(name), IResourceWithConnectionString
{
    public string UserName => userName;

    public ParameterResource Password => password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{scheme}://{userName}:{password}@{address}");
}
