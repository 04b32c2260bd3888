using System.Text.Json.Serialization;

namespace OAuthAspire.Contracts.Audit;

/// <summary>
/// A signed checkpoint of one hash chain: the event at <paramref name="Position"/> had the SHA-256
/// <paramref name="Head"/> (base64url) over its published bytes. <paramref name="Signature"/> is a
/// compact JWS (ES256, <c>typ</c> <c>audit-checkpoint+jwt</c>) over the same chain, position, head and
/// time, with the writing service's audit key, whose public half auditors pin (<c>tools/audit keys</c>).
/// <paramref name="Final"/>: the chain's writer stopped; nothing follows on this chain.
/// </summary>
public sealed record ChainCheckpoint(string Chain, long Position, string Head, string Signature, bool Final) : AuditEvent;

/// <summary>The checkpoint signature's JWS <c>typ</c>: written by the services, required by verify.</summary>
public static class ChainCheckpointJws
{
    public const string Type = "audit-checkpoint+jwt";
}

/// <summary>What a checkpoint's signature covers: its JWS payload (time in epoch milliseconds, source = the CloudEvent's, final as in the event).</summary>
public sealed record ChainCheckpointClaims(
    [property: JsonPropertyName("chain")] string Chain,
    [property: JsonPropertyName("pos")] long Position,
    [property: JsonPropertyName("head")] string Head,
    [property: JsonPropertyName("time")] long TimeMs,
    [property: JsonPropertyName("src")] string Source,
    [property: JsonPropertyName("final")] bool Final);
