using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// Sets RabbitMQ up as its administrator: the audit topology over AMQP (<see cref="AuditTopology"/>),
/// then through the management HTTP API one user per service (no tags: no management access) with
/// the permissions of <see cref="BrokerPermissions"/>, and the read-only <c>auditor</c>. Every run
/// re-sets the passwords from their parameters, so a changed parameter takes effect at the next start.
/// </summary>
/// <param name="broker">The administrator's AMQP connection.</param>
/// <param name="management">The management API with the administrator's credentials: <c>http://user:password@host:port/</c>.</param>
internal sealed class BrokerProvisioning(
    IResourceWithConnectionString broker,
    ReferenceExpression management,
    string virtualHost,
    ParameterResource auditorPassword,
    AuditStreamSettings stream) : Provisioning<ServiceBrokerLoginResource>
{
    public const string AuditorUser = "auditor";

    protected override async Task ProvisionAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var logs = services.GetRequiredService<ResourceLoggerService>();
        var admin = await broker.ConnectionStringExpression.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException($"The broker '{broker.Name}' has no connection string.");
        await AuditTopology.DeclareAsync(new Uri(admin), stream, ServiceNames.All, logs.GetLogger(broker), cancellationToken);

        var api = await management.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException("The broker's management API address is missing (ConnectionStrings:rabbitmq-management).");
        using var http = ManagementClient(new Uri(api));
        foreach (var login in Resources)
        {
            var password = await login.Password.GetValueAsync(cancellationToken)
                ?? throw new InvalidOperationException($"Parameter {login.Password.Name} has no value.");
            var permission = BrokerPermissions.For(login.UserName, stream.Name);
            await PutUserAsync(http, login.UserName, password, permission, cancellationToken);
            logs.GetLogger(login).LogInformation("RabbitMQ user {User} may configure {Configure}, write {Write}, read {Read}",
                login.UserName, permission.Configure, permission.Write, permission.Read);
        }

        var auditor = await auditorPassword.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Parameter {auditorPassword.Name} has no value.");
        await PutUserAsync(http, AuditorUser, auditor, BrokerPermissions.Auditor(stream.Name), cancellationToken);
    }

    private async Task PutUserAsync(HttpClient http, string user, string password, BrokerPermission permission, CancellationToken cancellationToken)
    {
        var name = Uri.EscapeDataString(user);
        // No tags: the services' and the auditor's logins cannot use the management API at all.
        await PutAsync(http, $"api/users/{name}", new { password, tags = "" }, cancellationToken);
        await PutAsync(http, $"api/permissions/{Uri.EscapeDataString(virtualHost)}/{name}",
            new { configure = permission.Configure, write = permission.Write, read = permission.Read }, cancellationToken);
    }

    private static async Task PutAsync<T>(HttpClient http, string path, T body, CancellationToken cancellationToken)
    {
        using var response = await http.PutAsJsonAsync(path, body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"RabbitMQ management API: PUT {path} answered {(int)response.StatusCode} {detail}", null, response.StatusCode);
        }
    }

    /// <summary>A client of the management API at <paramref name="api"/>, authenticated with its user info.</summary>
    private static HttpClient ManagementClient(Uri api)
    {
        var credentials = api.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(credentials[0]);
        var password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : "";
        var baseAddress = new UriBuilder(api) { UserName = "", Password = "" };
        if (!baseAddress.Path.EndsWith('/'))
        {
            baseAddress.Path += "/";
        }

        var http = new HttpClient { BaseAddress = baseAddress.Uri, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }
}
