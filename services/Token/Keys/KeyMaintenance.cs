using MassTransit;
using Microsoft.Extensions.Options;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.Token.Keys;

/// <summary>
/// Makes sure a key exists at start, reloads the published keys every half minute (and at once
/// when any replica rotates), rotates on schedule and forgets keys long expired.
/// </summary>
public sealed class KeyMaintenance(SigningKeys keys, SigningKeyStore store, IOptions<KeyOptions> options, ILogger<KeyMaintenance> logger)
    : BackgroundService
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Completes once keys are loaded: the token endpoint cannot sign before.</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Wake() => _wake.Release();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // A rotation by another replica while the broker was away was never announced here.
        CacheEpoch.Advanced += Wake;
        await store.EnsureKeysAsync(cancellationToken);
        await keys.RefreshAsync(cancellationToken);
        Ready.TrySetResult();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(RefreshInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await store.EnsureKeysAsync(stoppingToken);
                await store.RotateIfDueAsync(options.Value, stoppingToken);
                await keys.RefreshAsync(stoppingToken);
                await store.DeleteExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Signing key maintenance failed ({Reason}); keeping the keys already loaded", e.Message);
            }
        }
    }
}

/// <summary>Another replica (or this one) rotated or revoked a key: reload now rather than within the half minute.</summary>
public sealed class KeyRotatedConsumer(KeyMaintenance maintenance) : IConsumer<SigningKeyRotated>, IConsumer<SigningKeyRevoked>
{
    public Task Consume(ConsumeContext<SigningKeyRotated> context)
    {
        maintenance.Wake();
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<SigningKeyRevoked> context)
    {
        maintenance.Wake();
        return Task.CompletedTask;
    }
}
