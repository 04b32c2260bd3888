using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// Something the AppHost sets up on a server as its administrator (logins, databases, topology)
/// before the resources that wait for it (one per service) turn Running; a service waits for its
/// own. Idempotent, so it runs again whenever it may have been lost, and a changed password
/// parameter takes effect at the next start (rotation).
/// </summary>
internal abstract class Provisioning<TResource> where TResource : IResource
{
    /// <summary>How long a server that reported ready may take to accept the provisioning.</summary>
    private static readonly TimeSpan ReadyServerPatience = TimeSpan.FromSeconds(90);

    private readonly List<TResource> _resources = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _started;

    /// <summary>The resources waiting for this provisioning, in the order they were added.</summary>
    protected IReadOnlyList<TResource> Resources => _resources;

    public void Add(TResource resource) => _resources.Add(resource);

    /// <summary>For a server the AppHost runs: each time it becomes ready (a restart, a fresh data directory).</summary>
    public void RunWhenReady(IDistributedApplicationBuilder builder, IResource server) =>
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, (e, cancellationToken) => RunAsync(e.Services, ReadyServerPatience, cancellationToken));

    /// <summary>
    /// For a server the AppHost was given: once, in the background, as soon as a waiting resource
    /// initialises, retrying until the server answers.
    /// </summary>
    public void RunAtStart(IDistributedApplicationBuilder builder, TResource resource) =>
        builder.Eventing.Subscribe<InitializeResourceEvent>(resource, (e, __) =>
        {
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = Task.Run(() => RunAsync(e.Services, Timeout.InfiniteTimeSpan, stopping), CancellationToken.None);
            }

            return Task.CompletedTask;
        });

    /// <summary>Sets everything up for every resource in <see cref="Resources"/>; throws when it could not.</summary>
    protected abstract Task ProvisionAsync(IServiceProvider services, CancellationToken cancellationToken);

    private async Task RunAsync(IServiceProvider services, TimeSpan patience, CancellationToken cancellationToken)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logs = services.GetRequiredService<ResourceLoggerService>();
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            var clock = Stopwatch.StartNew();
            var delay = TimeSpan.FromMilliseconds(500);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await ProvisionAsync(services, cancellationToken);
                    foreach (var resource in _resources)
                    {
                        await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Running });
                    }

                    return;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (patience != Timeout.InfiniteTimeSpan && clock.Elapsed >= patience)
                    {
                        foreach (var resource in _resources)
                        {
                            logs.GetLogger(resource).LogError(e, "Provisioning failed after {Attempts} attempts: {Reason}",
                                attempt.ToString(CultureInfo.InvariantCulture), e.Message);
                            await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
                        }

                        return;
                    }

                    foreach (var resource in _resources)
                    {
                        logs.GetLogger(resource).LogWarning("Provisioning not done yet ({Reason}); retrying in {Delay} ms",
                            e.Message, ((int)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
                    }

                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The server stopped, or the AppHost did.
        }
        finally
        {
            _gate.Release();
        }
    }
}
