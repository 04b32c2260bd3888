using System.Text.Json;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Testing;

/// <summary>
/// An auditor's view of the audit stream in the test: the tool's own <see cref="StreamFollower"/>,
/// collecting every entry, resuming after the last offset when the broker restarts.
/// </summary>
public sealed class AuditStreamReader(Uri broker, StartAt from) : IAsyncDisposable
{
    private StreamFollower? _follower;
    private long _lastOffset = -1;

    public List<StreamEntry> Entries { get; } = [];

    public IEnumerable<JsonElement> Events => Entries.Select(e => e.Event);

    public static async Task<AuditStreamReader> OpenAsync(string connectionString, StartAt from)
    {
        var reader = new AuditStreamReader(new Uri(connectionString), from);
        // The relays declare the stream as they start: right after the system came up it may be a moment away.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await reader.ConnectAsync();
                return reader;
            }
            catch (StreamNotFoundException) when (attempt < 40)
            {
                await Task.Delay(250);
            }
        }
    }

    private async Task ConnectAsync()
    {
        if (_follower is not null)
        {
            await _follower.DisposeAsync();
        }

        _follower = await StreamFollower.OpenAsync(broker, AuditStream.StreamName, _lastOffset >= 0 ? new StartAt.Offset(_lastOffset + 1) : from, CancellationToken.None);
    }

    /// <summary>Reads until <paramref name="done"/> holds for everything read so far, or the time is up; true when it held.</summary>
    public async Task<bool> ReadUntilAsync(Func<IReadOnlyList<StreamEntry>, bool> done, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!done(Entries))
        {
            try
            {
                if (!await _follower!.Entries.WaitToReadAsync(deadline.Token))
                {
                    throw new IOException("stream connection closed");
                }

                while (_follower.Entries.TryRead(out var entry))
                {
                    _lastOffset = Math.Max(_lastOffset, entry.Offset);
                    Entries.Add(entry);
                }
            }
            catch (OperationCanceledException)
            {
                return done(Entries);
            }
            catch (Exception e) when (e is IOException or RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // The broker restarted: resume after the last entry read.
                await Task.Delay(500, CancellationToken.None);
                try
                {
                    await ConnectAsync();
                }
                catch (Exception again) when (again is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException)
                {
                }
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_follower is not null)
        {
            await _follower.DisposeAsync();
        }
    }
}
