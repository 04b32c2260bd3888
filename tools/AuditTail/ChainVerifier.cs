using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.AuditTail;

/// <summary>
/// Checks the stream's hash chains as it reads them: per chain, positions follow each other, each
/// event's <c>prevhash</c> is the SHA-256 of the previous event's exact bytes, each MAC is good (when
/// the audit keys are known) and each checkpoint is signed by the pinned key of the service it names
/// and covers the event before it. The first problem of each chain is its break; reading goes on
/// from there so later breaks are seen too. A repeat (same position, same bytes) is no problem.
/// </summary>
public sealed class ChainVerifier(AuditKeys keys, bool fromStart)
{
    private const int RememberedHashes = 4096;
    private static readonly string CheckpointType = AuditCloudEvent.TypeOf(nameof(ChainCheckpoint), 1);
    private static readonly JsonWebTokenHandler Handler = new();

    private readonly Dictionary<string, ChainState> _chains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceTotals> _services = new(StringComparer.Ordinal);
    private long _firstOffset = -1;

    public bool Intact => _chains.Values.All(c => c.Problems.Count == 0) && _services.Values.All(s => s.Clean);

    /// <summary>Services with chained events but no key to check them with (neither pinned nor the audit key).</summary>
    public IReadOnlyList<string> Unverified => [.. _services.Where(s => s.Value.Chained && keys.PublicKeyOf(s.Key) is null && keys.MacKeyOf(s.Key) is null)
        .Select(s => s.Key).Order(StringComparer.Ordinal)];

    /// <summary>0 every chain intact and checked with a key; 4 a break; 5 no break, but some service could not be checked.</summary>
    public int ExitCode => !Intact ? 4 : Unverified.Count > 0 ? 5 : 0;

    public async Task AddAsync(StreamEntry entry)
    {
        if (_firstOffset < 0)
        {
            _firstOffset = entry.Offset;
        }

        var e = entry.CloudEvent;
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("messageType", out _) && e.TryGetProperty("message", out _))
        {
            // MassTransit's envelope: published before the stream carried CloudEvents, outside any chain.
            var legacy = LegacySource(e);
            Totals(legacy).Events++;
            Unchained(legacy, entry.Offset);
            return;
        }

        var source = Text(e, "source");
        var service = source is not null && source.StartsWith(AuditCloudEvent.SourcePrefix, StringComparison.Ordinal) ? source[AuditCloudEvent.SourcePrefix.Length..] : "(unknown)";
        var totals = Totals(service);
        totals.Events++;
        // RabbitMQ checked user_id against the login that published: a service's events come from its own
        // login (every relay sets it; one without it could come from anyone).
        if (source is not null && (entry.UserId is not { } user || (service != user && !service.StartsWith(user + "-", StringComparison.Ordinal))))
        {
            totals.Misattributed++;
            totals.FirstMisattributed ??= entry.Offset;
        }

        if (e.ValueKind != JsonValueKind.Object || Text(e, "specversion") != "1.0" || Text(e, "id") is null || Text(e, "type") is null)
        {
            totals.Malformed++;
            totals.FirstMalformed ??= entry.Offset;
            return;
        }

        if (Text(e, "chain") is not { } chainId)
        {
            Unchained(service, entry.Offset);
            return;
        }

        totals.Chained = true;

        if (!long.TryParse(Text(e, "chainpos"), NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position < 1
            || !TryDecode(Text(e, "prevhash"), out var previous) || !chainId.StartsWith(service + "-", StringComparison.Ordinal))
        {
            totals.Malformed++;
            totals.FirstMalformed ??= entry.Offset;
            return;
        }

        var hash = AuditCloudEvent.Hash(entry.Body);
        if (_chains.TryGetValue(chainId, out var ended) && ended.Final && position > ended.Last)
        {
            ended.Problem($"after the end: position {position} (offset {entry.Offset}) follows the chain's final checkpoint");
        }

        if (!_chains.TryGetValue(chainId, out var chain))
        {
            chain = _chains[chainId] = new ChainState(chainId, service, position);
            if (position > 1 && fromStart && _firstOffset == 0)
            {
                // Nothing was cut by retention before this read began: the chain's start is missing.
                chain.Problem($"gap: positions 1..{position - 1} missing before offset {entry.Offset}");
            }
            else if (position == 1 && !previous.AsSpan().SequenceEqual(ChainLink.Genesis))
            {
                chain.Problem($"altered: position 1 (offset {entry.Offset}) does not start from the genesis");
            }
        }
        else if (position <= chain.Last)
        {
            if (chain.HashAt(position) is { } seen && seen.AsSpan().SequenceEqual(hash))
            {
                chain.Repeats++;
                return;
            }

            chain.Problem($"reorder: position {position} (offset {entry.Offset}) after position {chain.Last}{(chain.HashAt(position) is null ? "" : ", with other bytes than the first")}");
        }
        else if (position > chain.Last + 1)
        {
            chain.Problem($"gap: positions {chain.Last + 1}..{position - 1} missing before offset {entry.Offset}");
        }
        else if (!previous.AsSpan().SequenceEqual(chain.LastHash))
        {
            chain.Problem($"altered: position {position - 1} is not the event position {position} (offset {entry.Offset}) links to");
        }

        if (keys.MacKeyOf(service) is { } macKey && !AuditCloudEvent.MacMatches(entry.Body, macKey))
        {
            chain.Problem($"altered: position {position} (offset {entry.Offset}) does not carry its writer's MAC");
        }

        if (Text(e, "type") == CheckpointType)
        {
            await CheckCheckpointAsync(chain, e, position, source!, entry.Offset);
        }

        chain.Append(position, hash);
    }

    private async Task CheckCheckpointAsync(ChainState chain, JsonElement e, long position, string source, long offset)
    {
        var data = e.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var final = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("final", out var f) && f.ValueKind == JsonValueKind.True;
        var claimed = new ChainCheckpointClaims(Text(data, "chain") ?? "",
            data.ValueKind == JsonValueKind.Object && data.TryGetProperty("position", out var p) && p.TryGetInt64(out var at) ? at : -1,
            Text(data, "head") ?? "", 0, source, final);
        // The head is compared only when the event before was read (not when the read began at the checkpoint).
        var covers = claimed.Chain == chain.Id && claimed.Position == position - 1
            && (chain.Last != position - 1 || chain.Last < chain.First || claimed.Head == Base64Url.EncodeToString(chain.LastHash));
        if (!covers)
        {
            chain.Problem($"forged checkpoint: position {position} (offset {offset}) does not describe the chain before it");
            return;
        }

        if (keys.PublicKeyOf(chain.Service) is not { } key)
        {
            chain.UncheckedCheckpoints++;
            return;
        }

        var result = await Handler.ValidateTokenAsync(Text(data, "signature") ?? "", new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidTypes = [ChainCheckpointJws.Type],
        });
        var signed = result.IsValid ? JsonSerializer.Deserialize<ChainCheckpointClaims>(((JsonWebToken)result.SecurityToken).EncodedPayload is { } encoded
            ? Base64Url.DecodeFromChars(encoded) : []) : null;
        if (signed is null || signed.Chain != claimed.Chain || signed.Position != claimed.Position || signed.Head != claimed.Head || signed.Source != source
            || signed.Final != claimed.Final)
        {
            chain.Problem($"forged checkpoint: position {position} (offset {offset}) is not signed by {chain.Service}'s pinned key");
            return;
        }

        chain.Checkpoints++;
        chain.CoveredUpTo = claimed.Position;
        chain.Final |= final;
    }

    /// <summary>The report: per service, its totals and each chain's range, checkpoints and first break.</summary>
    public IEnumerable<string> Report()
    {
        foreach (var service in _services.Keys.Order(StringComparer.Ordinal))
        {
            var totals = _services[service];
            var chains = _chains.Values.Where(c => c.Service == service).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
            var broken = chains.Count(c => c.Problems.Count > 0);
            var unverified = totals.Chained && keys.PublicKeyOf(service) is null && keys.MacKeyOf(service) is null;
            yield return $"{service}: {totals.Events} event(s), {chains.Count} chain(s), "
                + (broken > 0 || !totals.Clean ? $"BROKEN: {broken} broken chain(s)" : unverified ? "UNVERIFIED: no pinned key and no audit key for it" : "intact")
                + (totals.Malformed > 0 ? $", {totals.Malformed} malformed event(s) (first at offset {totals.FirstMalformed})" : "")
                + (totals.LateUnchained > 0 ? $", {totals.LateUnchained} unchained event(s) after its chains began (first at offset {totals.FirstLateUnchained})" : "")
                + (totals.Misattributed > 0 ? $", {totals.Misattributed} event(s) published by another service's login (first at offset {totals.FirstMisattributed})" : "")
                + (totals.Unchained > totals.LateUnchained ? $", {totals.Unchained - totals.LateUnchained} unchained (published before chains)" : "");
            foreach (var chain in chains)
            {
                var tail = chain.Last - Math.Max(chain.CoveredUpTo + 1, chain.First - 1);
                yield return $"  {chain.Id}: positions {chain.First}..{chain.Last}, {chain.Checkpoints} signed checkpoint(s)"
                    + (chain.UncheckedCheckpoints > 0 ? $", {chain.UncheckedCheckpoints} unchecked (no pinned key)" : "")
                    + (chain.Final ? ", ended" : tail > 0 ? $", {tail} after the last checkpoint" : "")
                    + (chain.Repeats > 0 ? $", {chain.Repeats} repeat(s) dropped" : "")
                    + (keys.MacKeyOf(service) is null ? ", MACs not checked (no audit key)" : "")
                    + (chain.Problems.Count == 0 ? ": intact" : $": BROKEN, first {chain.Problems[0]}"
                        + (chain.Problems.Count > 1 ? $" (and {chain.Problems.Count - 1} more)" : ""));
            }
        }
    }

    /// <summary>
    /// An event outside any chain: only what was published before the service's chains began (an
    /// upgraded stream) is expected; one after them is a break (anyone can write an unchained row).
    /// </summary>
    private void Unchained(string service, long offset)
    {
        var totals = Totals(service);
        totals.Unchained++;
        if (totals.Chained)
        {
            totals.LateUnchained++;
            totals.FirstLateUnchained ??= offset;
        }
    }

    private static string LegacySource(JsonElement envelope) =>
        envelope.GetProperty("message") is { ValueKind: JsonValueKind.Object } message && Text(message, "service") is { } service ? service : "(unknown)";

    private ServiceTotals Totals(string service) =>
        _services.TryGetValue(service, out var totals) ? totals : _services[service] = new ServiceTotals();

    private static bool TryDecode(string? value, out byte[] bytes)
    {
        bytes = [];
        if (value is not { Length: 43 })
        {
            return false;
        }

        try
        {
            bytes = Base64Url.DecodeFromChars(value);
            return bytes.Length == 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private sealed class ServiceTotals
    {
        public long Events { get; set; }

        public long Malformed { get; set; }

        public long? FirstMalformed { get; set; }

        public long Unchained { get; set; }

        public bool Chained { get; set; }

        public long LateUnchained { get; set; }

        public long? FirstLateUnchained { get; set; }

        public long Misattributed { get; set; }

        public long? FirstMisattributed { get; set; }

        public bool Clean => Malformed == 0 && LateUnchained == 0 && Misattributed == 0;
    }

    private sealed class ChainState(string id, string service, long first)
    {
        private readonly Dictionary<long, byte[]> _recent = [];

        public string Id { get; } = id;

        public string Service { get; } = service;

        public long First { get; } = first;

        public long Last { get; private set; } = first - 1;

        public byte[] LastHash { get; private set; } = ChainLink.Genesis;

        public long CoveredUpTo { get; set; }

        public int Checkpoints { get; set; }

        public int UncheckedCheckpoints { get; set; }

        public bool Final { get; set; }

        public int Repeats { get; set; }

        public List<string> Problems { get; } = [];

        public void Problem(string problem) => Problems.Add(problem);

        public byte[]? HashAt(long position) => _recent.GetValueOrDefault(position);

        // After a break the chain is followed from the event just read, so later breaks are seen too.
        public void Append(long position, byte[] hash)
        {
            if (position <= Last)
            {
                return;
            }

            Last = position;
            LastHash = hash;
            _recent[position] = hash;
            _recent.Remove(position - RememberedHashes);
        }
    }
}
