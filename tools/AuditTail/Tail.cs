using System.Text.Json;
using RabbitMQ.Client.Exceptions;

namespace OAuthAspire.AuditTail;

/// <summary>
/// Follows the stream, filters and prints. Resumes after the last offset it read when the
/// connection drops, and drops repeated events (a relay crash between publish and mark can send
/// one twice; every event has a stable id).
/// </summary>
public sealed class Tail(TailOptions options, TextWriter output, TextWriter errors)
{
    public const int Unreachable = 2;
    public const int NoStream = 3;
    private const int RememberedIds = 100_000;

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private long _lastOffset = -1;
    private int _printed;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var connectedOnce = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var from = _lastOffset >= 0 ? new StartAt.Offset(_lastOffset + 1) : options.From;
            StreamFollower follower;
            try
            {
                follower = await StreamFollower.OpenAsync(options.Broker, options.Stream, from, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (StreamNotFoundException e)
            {
                await errors.WriteLineAsync($"oauthaspire-audit: {e.Message} on {Describe(options.Broker)}; the system declares it when it starts.");
                return NoStream;
            }
            catch (Exception e) when (e is BrokerUnreachableException or IOException or OperationInterruptedException or AuthenticationFailureException)
            {
                if (!connectedOnce)
                {
                    await errors.WriteLineAsync($"oauthaspire-audit: cannot reach RabbitMQ at {Describe(options.Broker)}: {Reason(e)}");
                    return Unreachable;
                }

                await errors.WriteLineAsync($"oauthaspire-audit: reconnecting to {Describe(options.Broker)} ({Reason(e)})");
                await Task.Delay(ReconnectDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            connectedOnce = true;
            await using (follower)
            {
                try
                {
                    if (await ReadAsync(follower, cancellationToken))
                    {
                        return 0;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return 0;
                }
                catch (IOException e)
                {
                    await errors.WriteLineAsync($"oauthaspire-audit: {e.Message}; resuming after offset {_lastOffset}");
                    await Task.Delay(ReconnectDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }

        return 0;
    }

    /// <summary>True when done (count reached or idle); throws IOException when the connection drops.</summary>
    private async Task<bool> ReadAsync(StreamFollower follower, CancellationToken cancellationToken)
    {
        while (true)
        {
            StreamEntry entry;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (options.IdleExit is { } quiet)
                {
                    idle.CancelAfter(quiet);
                }

                try
                {
                    if (!await follower.Entries.WaitToReadAsync(idle.Token))
                    {
                        await follower.Entries.Completion;
                        throw new IOException("connection closed");
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return true;
                }

                if (!follower.Entries.TryRead(out entry!))
                {
                    continue;
                }
            }

            _lastOffset = Math.Max(_lastOffset, entry.Offset);
            if (IsRepeat(entry.Event) || !AuditEventView.Matches(entry.Event, options))
            {
                continue;
            }

            await output.WriteLineAsync(options.Json ? AuditEventView.ToJsonLine(entry) : AuditEventView.ToTextLine(entry));
            await output.FlushAsync(cancellationToken);
            if (options.Count is { } count && ++_printed >= count)
            {
                return true;
            }
        }
    }

    private bool IsRepeat(JsonElement e)
    {
        if (!e.TryGetProperty("eventId", out var id) || id.GetString() is not { } eventId)
        {
            return false;
        }

        if (!_seen.Add(eventId))
        {
            return true;
        }

        _seenOrder.Enqueue(eventId);
        if (_seenOrder.Count > RememberedIds)
        {
            _seen.Remove(_seenOrder.Dequeue());
        }

        return false;
    }

    // Never print the password from the URI.
    private static string Describe(Uri broker) => $"{broker.Host}:{(broker.IsDefaultPort ? 5672 : broker.Port)}";

    private static string Reason(Exception e) => (e.InnerException ?? e).Message;
}
