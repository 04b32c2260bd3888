using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>
/// Group commit: writes that arrive together share one transaction (one statement per table, one
/// commit, one fsync) instead of paying for their own. Each caller still waits for the commit that
/// holds its own write; a failed commit fails every write in it. Two writers: one batch commits
/// while the next one fills.
/// </summary>
public abstract class GroupCommit<T>(ILogger logger) : BackgroundService where T : class
{
    private const int MaxBatch = 256;
    private const int Writers = 2;

    private readonly Channel<T> _pending = Channel.CreateBounded<T>(new BoundedChannelOptions(MaxBatch * 8) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Queues a write; the caller then waits on the item's own completion.</summary>
    protected ValueTask EnqueueAsync(T item, CancellationToken cancellationToken) => _pending.Writer.WriteAsync(item, cancellationToken);

    /// <summary>Writes a batch in one transaction and completes every item of it.</summary>
    protected abstract Task WriteAsync(List<T> batch, CancellationToken cancellationToken);

    /// <summary>Completes an item whose batch failed (<paramref name="error"/>) or was cut short by shutdown (null).</summary>
    protected abstract void Fail(T item, Exception? error, CancellationToken stoppingToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => WriteLoopAsync(stoppingToken)));

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<T>(MaxBatch);
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                try
                {
                    await WriteAsync(batch, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    batch.ForEach(i => Fail(i, e, stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var item in batch)
            {
                Fail(item, null, stoppingToken);
            }

            logger.LogDebug("{Writer} stopped", GetType().Name);
        }
    }
}
