using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace OAuthAspire.Protocol.Dpop;

public enum DpopReplayOutcome
{
    /// <summary>First use: accept the proof.</summary>
    Fresh,
    /// <summary>Seen within the window: refuse the proof (RFC 9449 §11.1).</summary>
    Replayed,
    /// <summary>No room left to remember it: refuse rather than forget ids early.</summary>
    Full,
}

/// <summary>
/// One-time use of DPoP proof ids in memory, for one instance. Two generations, each covering
/// <c>window</c>: a key is looked up in both and added to the current one; when the current one is a
/// window old it becomes the previous one and the old previous one is dropped whole. So a key is
/// remembered at least <c>window</c> and at most about twice that, with no per-entry expiry to sweep.
/// Keys are kept as 128 bits of their SHA-256 (about 50 bytes an entry, whatever the key's length):
/// a busy edge holds every proof of the last minute or two.
/// </summary>
/// <param name="window">How long a proof is usable: its maximum age plus the clock skew allowed both ways.</param>
/// <param name="capacity">Keys one generation holds before uses are refused.</param>
public sealed class DpopReplayCache(TimeSpan window, int capacity = 1_000_000)
{
    private readonly TimeSpan _window = window > TimeSpan.Zero ? window : throw new ArgumentOutOfRangeException(nameof(window), "The replay window must be positive.");
    private readonly int _capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "The capacity must be positive.");
    private readonly Lock _rotation = new();

    // An empty generation from the beginning of time: the first use rotates to one starting then.
    private Generations _generations = new(new Generation(DateTimeOffset.MinValue), null);

    /// <param name="key">What the caller makes unique per proof, e.g. the key thumbprint, jti and htu.</param>
    public DpopReplayOutcome TryUse(string key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        var id = Digest(key);
        var generations = At(now);
        if (generations.Previous?.Ids.ContainsKey(id) == true)
        {
            return DpopReplayOutcome.Replayed;
        }

        var current = generations.Current;
        while (true)
        {
            if (current.Ids.ContainsKey(id))
            {
                return DpopReplayOutcome.Replayed;
            }

            if (Interlocked.Increment(ref current.Count) > _capacity)
            {
                Interlocked.Decrement(ref current.Count);
                return DpopReplayOutcome.Full;
            }

            if (!current.Ids.TryAdd(id, 0))
            {
                Interlocked.Decrement(ref current.Count);
                return DpopReplayOutcome.Replayed;
            }

            // Rotated while adding: another use may have looked in the new generation before this
            // key reached its previous one. The newest current generation decides between the two.
            var latest = Volatile.Read(ref _generations).Current;
            if (ReferenceEquals(latest, current))
            {
                return DpopReplayOutcome.Fresh;
            }

            current = latest;
        }
    }

    private static UInt128 Digest(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    private Generations At(DateTimeOffset now)
    {
        var generations = Volatile.Read(ref _generations);
        if (now - generations.Current.Start < _window)
        {
            return generations;
        }

        lock (_rotation)
        {
            generations = _generations;
            if (now - generations.Current.Start >= _window)
            {
                // After two windows without a rotation, the current keys are old enough to forget too.
                var previous = now - generations.Current.Start >= _window + _window ? null : generations.Current;
                generations = new Generations(new Generation(now), previous);
                Volatile.Write(ref _generations, generations);
            }

            return generations;
        }
    }

    private sealed class Generation(DateTimeOffset start)
    {
        public readonly DateTimeOffset Start = start;
        public readonly ConcurrentDictionary<UInt128, byte> Ids = new();

        // Kept beside the dictionary: ConcurrentDictionary.Count takes every lock.
        public int Count;
    }

    private sealed record Generations(Generation Current, Generation? Previous);
}
