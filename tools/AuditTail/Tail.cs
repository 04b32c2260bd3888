using System.Text.Json;
using RabbitMQ.Client.Exceptions;

namespace OAuthAspire.AuditTail;

/// <summary>
/// Follows the stream, filters and prints. Resumes after the last offset it read when the
/// connection drops, and drops repeated events (a relay crash between publish and mark can send
/// one twice; every event has a stable id).
/// </summary>
public sealed class Tail(TailOptions options, TextWriter output, TextWriter errors, ChainVerifier? verifier = null)
{
    public const int Unreachable = 2;
    public const int NoStream = 3;
    public const int Broken = 4;
    public const int Unverified = 5;
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
                    if (await ReadAsync(follower, cancellationToken, verifier))
                    {
                        return await FinishAsync();
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
    private async Task<bool> ReadAsync(StreamFollower follower, CancellationToken cancellationToken, ChainVerifier? verifier = null)
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
            if (verifier is not null)
            {
                // Every event, repeats included: the verifier tells a repeat from a reorder.
                await verifier.AddAsync(entry);
                continue;
            }

            // Not an audit event (no fields to show): nothing to print.
            if (entry.Event.ValueKind != JsonValueKind.Object || IsRepeat(entry.Event) || !AuditEventView.Matches(entry.Event, options))
            {
                continue;
            }

            var line = options.Format switch
            {
                OutputFormat.Json => AuditEventView.ToJsonLine(entry),
                OutputFormat.CloudEvents => System.Text.Encoding.UTF8.GetString(entry.Body),
                OutputFormat.Ocsf => OcsfMapper.ToOcsf(entry.CloudEvent)?.ToJsonString(),
                _ => AuditEventView.ToTextLine(entry),
            };
            if (line is null)
            {
                continue;
            }

            await output.WriteLineAsync(line);
            await output.FlushAsync(cancellationToken);
            if (options.Count is { } count && ++_printed >= count)
            {
                return true;
            }
        }
    }

    /// <summary>After a verification, its report; exit 4 when a chain is broken.</summary>
    private async Task<int> FinishAsync()
    {
        if (verifier is null)
        {
            return 0;
        }

        foreach (var line in verifier.Report())
        {
            await output.WriteLineAsync(line);
        }

        return verifier.ExitCode;
    }

    private bool IsRepeat(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("eventId", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { } eventId)
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
