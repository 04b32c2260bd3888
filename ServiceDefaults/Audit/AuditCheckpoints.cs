using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>
/// Signs a checkpoint on every chain of this process that has events not yet covered, every
/// <see cref="AuditChainOptions.CheckpointInterval"/>, and a final one on each when the service stops,
/// so an auditor can tell a chain that ended from one whose last events went missing.
/// </summary>
internal sealed class AuditCheckpoints(AuditChains chains, NpgsqlDataSource dataSource, IOptions<AuditChainOptions> options, ILogger<AuditCheckpoints> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await chains.CheckpointAsync(dataSource, final: false, stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogWarning("Audit checkpoint postponed ({Reason})", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await chains.CheckpointAsync(dataSource, final: true, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            logger.LogWarning("Final audit checkpoint not written ({Reason}): the chains end without one", e.Message);
        }
    }
}
