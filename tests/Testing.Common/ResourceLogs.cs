using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.Testing;

/// <summary>
/// Streams every resource's log lines to a file per resource (for diagnosing a failed run) and
/// keeps them in memory (for tests that inspect what services wrote).
/// </summary>
public sealed class ResourceLogs : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(string Resource, string Line)> _lines = new();
    private readonly List<Task> _readers = [];

    private ResourceLogs()
    {
    }

    public IEnumerable<(string Resource, string Line)> Lines => _lines;

    public static ResourceLogs Capture(DistributedApplication app, string directory)
    {
        Directory.CreateDirectory(directory);
        var logs = new ResourceLogs();
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        logs._readers.Add(Task.Run(() => logs.FollowAsync(notifications, loggers, directory)));
        return logs;
    }

    // Logs are kept per resource instance (a project's replicas each have their own id), which
    // appear as the orchestrator creates them.
    private async Task FollowAsync(ResourceNotificationService notifications, ResourceLoggerService loggers, string directory)
    {
        var seen = new HashSet<string>();
        var readers = new List<Task>();
        try
        {
            await foreach (var change in notifications.WatchAsync(_stop.Token))
            {
                if (seen.Add(change.ResourceId))
                {
                    var id = change.ResourceId;
                    readers.Add(Task.Run(() => ReadAsync(loggers, id, Path.Combine(directory, $"{id}.log"))));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(readers);
    }

    private async Task ReadAsync(ResourceLoggerService loggers, string resource, string path)
    {
        try
        {
            await using var file = new StreamWriter(path, append: false) { AutoFlush = true };
            await foreach (var batch in loggers.WatchAsync(resource).WithCancellation(_stop.Token))
            {
                foreach (var line in batch)
                {
                    _lines.Enqueue((resource, line.Content));
                    await file.WriteLineAsync(line.Content);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_readers);
        _stop.Dispose();
    }
}
