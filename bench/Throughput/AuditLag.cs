using System.Globalization;
using System.Text.Json;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// How late auditors see events while the token service is saturated: for every <c>TokenIssued</c>
/// read from the stream during a run, its arrival at a stream reader minus its CloudEvent <c>time</c>
/// (stamped as the request wrote it, just before its commit). An upper bound on commit-to-stream
/// lag: it includes the reader's own delivery.
/// </summary>
internal sealed class AuditLag : IAsyncDisposable
{
    private static readonly string Issued = AuditCloudEvent.TypeOf(nameof(TokenIssued), 1);

    private readonly StreamFollower _follower;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<double> _lagsMs = [];
    private readonly Task _pump;
    private volatile bool _recording;

    private AuditLag(StreamFollower follower)
    {
        _follower = follower;
        _pump = Task.Run(PumpAsync);
    }

    public static async Task<AuditLag> StartAsync(string broker) =>
        new(await StreamFollower.OpenAsync(new Uri(broker), AuditStream.StreamName, new StartAt.Next(), CancellationToken.None));

    public void Begin()
    {
        lock (_lagsMs)
        {
            _lagsMs.Clear();
        }

        _recording = true;
    }

    /// <summary>Stops recording: (events, p50, p99, max) in milliseconds.</summary>
    public (int Count, double P50, double P99, double Max) End()
    {
        _recording = false;
        lock (_lagsMs)
        {
            if (_lagsMs.Count == 0)
            {
                return (0, 0, 0, 0);
            }

            var sorted = _lagsMs.Order().ToArray();
            double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
            return (sorted.Length, At(0.50), At(0.99), sorted[^1]);
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var entry in _follower.Entries.ReadAllAsync(_stop.Token))
            {
                var arrived = DateTimeOffset.UtcNow;
                if (!_recording || entry.CloudEvent.ValueKind != JsonValueKind.Object
                    || !entry.CloudEvent.TryGetProperty("type", out var type) || type.GetString() != Issued
                    || !DateTimeOffset.TryParse(entry.CloudEvent.GetProperty("time").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                {
                    continue;
                }

                lock (_lagsMs)
                {
                    _lagsMs.Add((arrived - time).TotalMilliseconds);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _follower.DisposeAsync();
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
