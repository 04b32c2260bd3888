using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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
    ILogger<UseViewBackfill> logger) : BackgroundService, IStartupWork
{
    // The owner reads the whole stream, then settles it in one transaction: more than a call's default deadline.
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    /// <summary>Readiness: both views are initialized, so scopes and trusts can be deleted (until then they answer 503).</summary>
    public bool Done { get; private set; }

    public string Pending => "backfilling the client uses views of scope-policy and federation-trust";

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

    private Task<int?> BackfillScopesAsync(CancellationToken cancellationToken) =>
        BackfillAsync(ServiceNames.ScopePolicy,
            async ct => (await scopePolicy.GetUseViewStateAsync(new ScopeUseViewRequest(), cancellationToken: ct)).Initialized,
            ct => scopePolicy.ReplaceScopeUses(deadline: DateTime.UtcNow + Deadline, cancellationToken: ct),
            client => new ClientScopes { ClientId = client.ClientId, Version = client.Version, Deleted = client.Deleted, Scopes = { client.Scopes } },
            reply => reply.Clients, cancellationToken);

    private Task<int?> BackfillTrustsAsync(CancellationToken cancellationToken) =>
        BackfillAsync(ServiceNames.FederationTrust,
            async ct => (await federationTrust.GetUseViewStateAsync(new TrustUseViewRequest(), cancellationToken: ct)).Initialized,
            ct => federationTrust.ReplaceTrustUses(deadline: DateTime.UtcNow + Deadline, cancellationToken: ct),
            client => new ClientTrusts { ClientId = client.ClientId, Version = client.Version, Deleted = client.Deleted, Trusts = { client.Trusts } },
            reply => reply.Clients, cancellationToken);

    /// <summary>One owner's backfill: asks whether its view is initialized and, if not, streams it every client.</summary>
    /// <returns>How many clients were sent; null when the view was initialized already.</returns>
    private async Task<int?> BackfillAsync<TMessage, TReply>(string owner, Func<CancellationToken, Task<bool>> initialized,
        Func<CancellationToken, AsyncClientStreamingCall<TMessage, TReply>> open, Func<ClientUsesRow, TMessage> toMessage,
        Func<TReply, int> counted, CancellationToken cancellationToken)
    {
        if (await initialized(cancellationToken))
        {
            return null;
        }

        var clients = await store.AllUsesAsync(cancellationToken);
        logger.LogInformation("The client uses view of {Owner} is not initialized: sending {Count} client(s)", owner, clients.Count);
        using var call = open(cancellationToken);
        foreach (var client in clients)
        {
            await call.RequestStream.WriteAsync(toMessage(client));
        }

        await call.RequestStream.CompleteAsync();
        return counted(await call);
    }
}
