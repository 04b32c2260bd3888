using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>
/// Signs a checkpoint on every chain of this process that has events not yet covered, every
/// <see cref="AuditChainOptions.CheckpointInterval"/>, and a final one on each once the service has
/// stopped (every hosted service, the bus's consumers included, has ended: nothing writes after it),
/// so an auditor can tell a chain that ended from one whose last events went missing. The next relay
/// of this database publishes the final ones.
/// </summary>
internal sealed class AuditCheckpoints(
    AuditChains chains, NpgsqlDataSource dataSource, IOptions<AuditChainOptions> options, IHostApplicationLifetime lifetime, ILogger<AuditCheckpoints> logger)
    : BackgroundService
{
    private static readonly TimeSpan FinalTimeout = TimeSpan.FromSeconds(5);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopped.Register(WriteFinal);
        return base.StartAsync(cancellationToken);
    }

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
                catch (Exception e) when (e is AggregateException or NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogWarning("Audit checkpoint postponed ({Reason})", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void WriteFinal()
    {
        try
        {
            using var timeout = new CancellationTokenSource(FinalTimeout);
            chains.CheckpointAsync(dataSource, final: true, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is AggregateException or NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            logger.LogWarning("Final audit checkpoints not all written ({Reason}): those chains end without one", e.Message);
        }
    }
}
