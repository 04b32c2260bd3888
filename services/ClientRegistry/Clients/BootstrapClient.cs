using OAuthAspire.ServiceDefaults;
using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// Registers the bootstrap client on first start: confidential, client credentials only, scope
/// <c>admin.api</c>, running as the first administrator; its secret is the AppHost's generated
/// <c>bootstrap-client-secret</c>. It is how a fresh install gets its first admin token. Created
/// once: a later deletion or rotation by an administrator stands. Beside it, the public client of the
/// admin API reference (<see cref="AdminApiReference.DocsClientId"/>) and the admin console's
/// confidential client (<see cref="AdminConsoleApp.ClientId"/>).
/// </summary>
public sealed class BootstrapClient(ClientStore store, DirectoryClient directory, UseClaims claims, IAuditSink audit, IConfiguration configuration,
    Issuer issuer, ILogger<BootstrapClient> logger) : BackgroundService, IStartupWork
{

    /// <summary>Readiness: the service is not ready before the client a fresh install administers itself with exists.</summary>
    public bool Done { get; private set; }

    public string Pending => "registering the bootstrap client";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RegisterAsync(stoppingToken);
                Done = true;
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Registering the bootstrap client failed (attempt {Attempt}): {Reason}", attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stoppingToken);
            }
        }
    }

    private async Task RegisterAsync(CancellationToken stoppingToken)
    {
        // The admin API reference's "try it": an administrator signs in (code + PKCE, no secret in a page).
        await InsertOnceAsync(new ClientRecord
        {
            ClientId = AdminApiReference.DocsClientId,
            Name = "Admin API reference",
            Public = true,
            PkceRequired = true,
            GrantTypes = [GrantTypes.AuthorizationCode],
            RedirectUris = [issuer.Value + AdminApiReference.DocsRedirectPath],
            Scopes = ["admin.api"],
            DefaultScopes = ["admin.api"],
        }, stoppingToken);

        // The admin console: confidential, code + PKCE, pushed requests only, its secret the AppHost's console-client-secret.
        if (configuration["Bootstrap:ConsoleClientSecret"] is { Length: > 0 } consoleSecret)
        {
            await InsertOnceAsync(new ClientRecord
            {
                ClientId = AdminConsoleApp.ClientId,
                Name = "Admin console",
                SecretHash = ClientSecrets.Hash(consoleSecret),
                PkceRequired = true,
                RequirePushedAuthorizationRequests = true,
                GrantTypes = [GrantTypes.AuthorizationCode],
                RedirectUris = [issuer.Value + AdminConsoleApp.CallbackPath],
                PostLogoutRedirectUris = [issuer.Value + AdminConsoleApp.SignedOutCallbackPath],
                Scopes = AdminConsoleApp.Scopes,
                DefaultScopes = AdminConsoleApp.Scopes,
                // Its session lasts as long as its token: a short one, renewed by signing in again.
                AccessTokenLifespan = 900,
            }, stoppingToken);
        }

        var clientId = configuration["Bootstrap:ClientId"];
        var secret = configuration["Bootstrap:ClientSecret"];
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            logger.LogWarning("Bootstrap:ClientId or Bootstrap:ClientSecret is not set: no bootstrap client is registered");
            return;
        }

        // Only a fresh install looks the administrator up (a renamed or deleted one stands).
        if (!await ExistsAsync(clientId, stoppingToken))
        {
            // The administrator is created by the directory service, which may still be starting.
            var admin = await FindAdminAsync(stoppingToken);
            await InsertOnceAsync(new ClientRecord
            {
                ClientId = clientId,
                Name = "Bootstrap administration client",
                SecretHash = ClientSecrets.Hash(secret),
                GrantTypes = [GrantTypes.ClientCredentials],
                Scopes = ["admin.api"],
                DefaultScopes = ["admin.api"],
                ApplicationUserSysId = admin.SysId,
                ApplicationUserName = admin.UserName,
            }, stoppingToken);
        }
    }

    /// <summary>Registers a built-in client once: an administrator's later change or deletion stands.</summary>
    private async Task InsertOnceAsync(ClientRecord client, CancellationToken stoppingToken)
    {
        if (await ExistsAsync(client.ClientId, stoppingToken))
        {
            return;
        }

        var created = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await ClientStore.InsertAsync(tx, client, stoppingToken))
            {
                return false;
            }

            // Claimed like any client's save; admin.api is built in, so a refusal means scope-policy's data is damaged (retried).
            if (await claims.ClaimAsync(client, client.Version, stoppingToken) is not null)
            {
                throw new InvalidOperationException("scope-policy does not know the built-in scope admin.api");
            }

            await audit.WriteAsync(tx, new ClientCreated(client.ClientId, client.Name, client.Public, client.GrantTypes, client.Scopes, client.AllowedOrigins,
                client.Trusts, client.Version) { Reason = "bootstrap" }, stoppingToken);
            return true;
        }, stoppingToken);
        if (created)
        {
            logger.LogInformation("Registered the built-in client '{ClientId}'", client.ClientId);
        }
    }

    private async Task<bool> ExistsAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("SELECT 1 FROM oauth_client WHERE client_id = $1", connection);
        command.Parameters.AddWithValue(clientId);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task<User> FindAdminAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var reply = await directory.FindUserAsync(new FindUserRequest { Field = "user_name", Value = "admin" }, cancellationToken: cancellationToken);
                if (reply.Found)
                {
                    return reply.User;
                }
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                // Not up yet, or failing: keep trying; a background failure must not stop the service.
                if (attempt % 10 == 0)
                {
                    logger.LogWarning("Looking up the first administrator failed: {Status}", e.Status);
                }
            }

            if (attempt % 10 == 0)
            {
                logger.LogInformation("Waiting for the first administrator to exist (attempt {Attempt})", attempt);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200 * attempt, 2000)), cancellationToken);
        }
    }
}
