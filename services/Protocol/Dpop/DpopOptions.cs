namespace OAuthAspire.Protocol.Dpop;

/// <summary>How DPoP proofs are judged (configuration section <c>Dpop</c>), the same at the token endpoint and the edge.</summary>
public sealed class DpopOptions
{
    /// <summary>How old a proof's <c>iat</c> may be (RFC 9449 §11.1: short, since the replay memory lasts this long).</summary>
    public TimeSpan ProofLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Allowance for clocks: a proof may be dated this far ahead, or this much older than its lifetime.
    /// 10 s: FAPI 2.0 §5.3.2.1 has servers accept proofs dated up to 10 s ahead (and refuse a minute).
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Require a server nonce (§8) from every client at the token endpoint; clients can also be asked one by one.</summary>
    public bool RequireNonce { get; set; }

    /// <summary>How long a nonce stays good: it rotates every period and the previous one is still accepted.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Settings a service can start with (checked at start: a bad one would fail every DPoP call later).</summary>
    public bool IsValid => ProofLifetime > TimeSpan.Zero && ClockSkew >= TimeSpan.Zero && NonceLifetime >= TimeSpan.FromSeconds(1);

    public const string Invalid = "Dpop: ProofLifetime must be positive, ClockSkew not negative, NonceLifetime at least a second.";

    public DpopProofExpectations Expect(string method, IReadOnlyList<string> uris, string? accessToken = null) =>
        new(method, uris, accessToken, ProofLifetime, ClockSkew);
}
