using OAuthAspire.ServiceDefaults;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// scope-policy and federation-trust keep their own view of which clients use their scopes and
/// trusts (see <see cref="UseClaims"/>) and refuse deletions until it is initialized. They cannot
/// ask this service (that call would close a cycle), so at start this service asks each whether
/// its view is initialized (not on a fresh install, on the upgrade that brought the views, or after
/// a view was reset) and, if not, sends it every client it holds, deleted ones included, in one
/// stream. Retries until both are done (the service is not ready before); a failure never stops it.
/// </summary>
public sealed class UseViewBackfill(ClientStore store, ScopePolicyClient scopePolicy, FederationTrustClient federationTrust,
    ILogger<UseViewBackfill> logger) : BackgroundService
{
    // The owner reads the whole stream, then settles it in one transaction: more than a call's default deadline.
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    /// <summary>Readiness: both views are initialized, so scopes and trusts can be deleted (until then they answer 503).</summary>
    public bool Done { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(KeepTryingAsync(ServiceNames.ScopePolicy, BackfillScopesAsync, stoppingToken),
            KeepTryingAsync(ServiceNames.FederationTrust, BackfillTrustsAsync, stoppingToken));
        Done = true;
    }

    private async Task KeepTryingAsync(string owner, Func<CancellationToken, Task<int?>> backfill, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await backfill(stoppingToken) is { } sent)
                {
                    logger.LogInformation("Backfilled the client uses view of {Owner}: {Count} client(s) sent", owner, sent);
                }

                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Backfilling the client uses view of {Owner} failed (attempt {Attempt}); retrying: {Reason}", owner, attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stoppingToken);
            }
        }
    }

    /// <returns>How many clients were sent; null when the view was initialized already.</returns>
    private async Task<int?> BackfillScopesAsync(CancellationToken cancellationToken)
    {
        if ((await scopePolicy.GetUseViewStateAsync(new ScopeUseViewRequest(), cancellationToken: cancellationToken)).Initialized)
        {
            return null;
        }

        var clients = await store.AllUsesAsync(cancellationToken);
        logger.LogInformation("The client uses view of {Owner} is not initialized: sending {Count} client(s)", ServiceNames.ScopePolicy, clients.Count);
        using var call = scopePolicy.ReplaceScopeUses(deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
        foreach (var client in clients)
        {
            var message = new ClientScopes { ClientId = client.ClientId, Version = client.Version, Deleted = client.Deleted };
            message.Scopes.AddRange(client.Scopes);
            await call.RequestStream.WriteAsync(message);
        }

        await call.RequestStream.CompleteAsync();
        return (await call).Clients;
    }

    /// <returns>How many clients were sent; null when the view was initialized already.</returns>
    private async Task<int?> BackfillTrustsAsync(CancellationToken cancellationToken)
    {
        if ((await federationTrust.GetUseViewStateAsync(new TrustUseViewRequest(), cancellationToken: cancellationToken)).Initialized)
        {
            return null;
        }

        var clients = await store.AllUsesAsync(cancellationToken);
        logger.LogInformation("The client uses view of {Owner} is not initialized: sending {Count} client(s)", ServiceNames.FederationTrust, clients.Count);
        using var call = federationTrust.ReplaceTrustUses(deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
        foreach (var client in clients)
        {
            var message = new ClientTrusts { ClientId = client.ClientId, Version = client.Version, Deleted = client.Deleted };
            message.Trusts.AddRange(client.Trusts);
            await call.RequestStream.WriteAsync(message);
        }

        await call.RequestStream.CompleteAsync();
        return (await call).Clients;
    }
}

/// <summary>Not ready until scope-policy's and federation-trust's views of the clients are initialized.</summary>
public sealed class UseViewsHealthCheck(UseViewBackfill backfill) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(backfill.Done
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("backfilling the client uses views of scope-policy and federation-trust"));
}
