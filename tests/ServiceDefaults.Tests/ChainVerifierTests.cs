using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// The chain format and its verification in isolation: events written as the outbox writes them,
/// then read by the auditors' verifier intact, with one removed, altered (with and without the
/// chain recomputed), reordered, repeated, or with a checkpoint signed by another key.
/// </summary>
public sealed class ChainVerifierTests : IDisposable
{
    private const string Issuer = "https://issuer.example";
    private const string Chain = "token-0a1b2c3d4e5f6a7b-1";
    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly AuditKey _key;
    private readonly AuditKeys _keys;

    public ChainVerifierTests()
    {
        _key = new AuditKey(ECDsa.Create(_ecdsa.ExportParameters(true)));
        _keys = AuditKeys.Load(null, $"token={Convert.ToBase64String(_ecdsa.ExportPkcs8PrivateKey())}");
    }

    [Fact]
    public void AnEventIsAStructuredCloudEventWhoseMacCoversEverythingButItself()
    {
        var body = Write(Issued(), 1, ChainLink.Genesis, _key.MacKey);
        using var json = JsonDocument.Parse(body);
        var e = json.RootElement;
        Assert.Equal("1.0", e.GetProperty("specversion").GetString());
        Assert.Equal("com.oauthaspire.audit.TokenIssued.v1", e.GetProperty("type").GetString());
        Assert.Equal("/oauthaspire/token", e.GetProperty("source").GetString());
        Assert.Equal("client/app", e.GetProperty("subject").GetString());
        Assert.Equal($"{Issuer}/audit/schemas/TokenIssued.v1.json", e.GetProperty("dataschema").GetString());
        Assert.Equal("1", e.GetProperty("chainpos").GetString());
        Assert.Equal("chainmac", e.EnumerateObject().Last().Name);
        Assert.All(e.EnumerateObject(), p => Assert.Matches("^[a-z0-9]+$", p.Name));
        Assert.True(AuditCloudEvent.MacMatches(body, _key.MacKey));
        Assert.False(AuditCloudEvent.MacMatches(body, new byte[32]));

        var altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"jti\":\"j-1\"", "\"jti\":\"j-2\"", StringComparison.Ordinal));
        Assert.NotEqual(body, altered);
        Assert.False(AuditCloudEvent.MacMatches(altered, _key.MacKey));
    }

    [Fact]
    public async Task AnUntouchedChainWithItsCheckpointVerifiesIntact()
    {
        var verifier = await VerifyAsync(Story(5));
        Assert.True(verifier.Intact, string.Join('\n', verifier.Report()));
        Assert.Contains(verifier.Report(), l => l.Contains($"{Chain}: positions 1..6, 1 signed checkpoint(s): intact", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARemovedEventIsAGap()
    {
        var story = Story(5);
        story.RemoveAt(2);
        Assert.Contains("first gap: positions 3..3 missing", await BreakAsync(story));
    }

    [Fact]
    public async Task AnAlteredEventFailsItsMacAndItsSuccessorsLink()
    {
        var story = Story(5);
        story[1] = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(story[1]).Replace("\"jti\":\"j-2\"", "\"jti\":\"forged\"", StringComparison.Ordinal));
        var verifier = await VerifyAsync(story);
        var report = string.Join('\n', verifier.Report());
        Assert.Contains("first altered: position 2 (offset 1) does not carry its writer's MAC", report);
        Assert.Contains("(and 1 more)", report);
    }

    [Fact]
    public async Task AChainRecomputedWithoutTheKeyFailsOnTheMacs()
    {
        // A database-level attacker drops event 3 and rewrites the rest of the chain with fresh hashes (but no key).
        var genuine = Story(5);
        var forged = new List<byte[]>();
        var previous = ChainLink.Genesis;
        for (var i = 1; i <= 4; i++)
        {
            var body = Write(Issued(i >= 3 ? i + 1 : i), i, previous, new byte[32]);
            forged.Add(i < 3 ? genuine[i - 1] : body);
            previous = AuditCloudEvent.Hash(forged[^1]);
        }

        Assert.Contains("position 3 (offset 2) does not carry its writer's MAC", await BreakAsync(forged));
        // Without any key the chain itself looks whole, which is why verify then says it checked nothing.
        var keyless = await VerifyAsync(forged, AuditKeys.None);
        Assert.Equal(5, keyless.ExitCode);
        Assert.Contains(keyless.Report(), l => l.StartsWith("token: 4 event(s), 1 chain(s), UNVERIFIED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReorderIsABreakAndARepeatIsNot()
    {
        var story = Story(5);
        (story[2], story[3]) = (story[3], story[2]);
        Assert.Contains("first gap: positions 3..3 missing", await BreakAsync(story));


        // An earlier position again with other bytes (another writer's event 2 replayed into this chain).
        var replayed = Story(5);
        replayed.Insert(3, Story(5)[1]);
        Assert.Contains("first reorder: position 2 (offset 3) after position 3, with other bytes than the first", await BreakAsync(replayed));

        var repeated = Story(5);
        repeated.Insert(3, repeated[2]);
        var verifier = await VerifyAsync(repeated);
        Assert.True(verifier.Intact, string.Join('\n', verifier.Report()));
        Assert.Contains(verifier.Report(), l => l.Contains("1 repeat(s) dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACheckpointSignedByAnotherKeyIsForged()
    {
        using var other = new AuditKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var story = Story(3);
        story.RemoveAt(3);
        var head = Base64Url.EncodeToString(AuditCloudEvent.Hash(story[^1]));
        var checkpoint = new ChainCheckpoint(Chain, 3, head, other.SignCheckpoint(Chain, 3, head, DateTimeOffset.UtcNow, "/oauthaspire/token", final: false), false) { Service = "token" };
        story.Add(Write(checkpoint, 4, AuditCloudEvent.Hash(story[^1]), _key.MacKey));
        Assert.Contains("first forged checkpoint: position 4 (offset 3) is not signed by token's pinned key", await BreakAsync(story));
    }

    [Fact]
    public async Task AFinalCheckpointEndsTheChainAndCannotBeForgedNotFinal()
    {
        var story = Story(2);
        story.RemoveAt(2);
        var head = Base64Url.EncodeToString(AuditCloudEvent.Hash(story[^1]));
        var at = DateTimeOffset.UtcNow;
        var final = new ChainCheckpoint(Chain, 2, head, _key.SignCheckpoint(Chain, 2, head, at, "/oauthaspire/token", final: true), true) { Service = "token", OccurredAt = at };
        story.Add(Write(final, 3, AuditCloudEvent.Hash(story[^1]), _key.MacKey));
        var ended = await VerifyAsync(story);
        Assert.True(ended.Intact, string.Join('\n', ended.Report()));
        Assert.Contains(ended.Report(), l => l.Contains("1 signed checkpoint(s), ended: intact", StringComparison.Ordinal));

        // Anything after the end is a break, however well it links.
        var after = new List<byte[]>(story) { Write(Issued(9), 4, AuditCloudEvent.Hash(story[^1]), _key.MacKey) };
        Assert.Contains("first after the end: position 4", await BreakAsync(after));

        // A checkpoint claiming to be final that was not signed so (a chain's tail cut off by the database) is forged.
        var notFinal = _key.SignCheckpoint(Chain, 2, head, at, "/oauthaspire/token", final: false);
        story[2] = Write(new ChainCheckpoint(Chain, 2, head, notFinal, true) { Service = "token", OccurredAt = at }, 3, AuditCloudEvent.Hash(story[1]), _key.MacKey);
        Assert.Contains("first forged checkpoint: position 3", await BreakAsync(story));
    }

    [Fact]
    public async Task AnUnchainedEventAfterTheChainsBeganOrFromAnotherLoginIsABreak()
    {
        var story = Story(2);
        story.Add(AuditCloudEvent.WriteUnchained(Issued(7), Issuer));
        Assert.Contains("1 unchained event(s) after its chains began", await BreakAsync(story));

        var verifier = new ChainVerifier(_keys, fromStart: true);
        var body = Story(1)[0];
        using var json = JsonDocument.Parse(body);
        await verifier.AddAsync(new StreamEntry(0, json.RootElement.GetProperty("data").Clone(), json.RootElement.Clone(), body, "edge", null));
        Assert.False(verifier.Intact);
        Assert.Contains(verifier.Report(), l => l.Contains("published by another service's login", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReadThatBeginsAtACheckpointChecksItAndWhatFollows()
    {
        var story = Story(3);
        story.Add(Write(Issued(4), 5, AuditCloudEvent.Hash(story[^1]), _key.MacKey));
        var verifier = new ChainVerifier(_keys, fromStart: false);
        for (var offset = 3; offset < story.Count; offset++)
        {
            using var json = JsonDocument.Parse(story[offset]);
            await verifier.AddAsync(new StreamEntry(offset, json.RootElement.GetProperty("data").Clone(), json.RootElement.Clone(), story[offset], "token", null));
        }

        Assert.True(verifier.Intact, string.Join('\n', verifier.Report()));
        Assert.Equal(0, verifier.ExitCode);
        Assert.Contains(verifier.Report(), l => l.Contains($"{Chain}: positions 4..5, 1 signed checkpoint(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEventWithoutItsPublishersUserIdIsABreak()
    {
        var verifier = new ChainVerifier(_keys, fromStart: true);
        var body = Story(1)[0];
        using var json = JsonDocument.Parse(body);
        await verifier.AddAsync(new StreamEntry(0, json.RootElement.GetProperty("data").Clone(), json.RootElement.Clone(), body, null, null));
        Assert.Equal(4, verifier.ExitCode);
    }

    public void Dispose()
    {
        _key.Dispose();
        _ecdsa.Dispose();
    }

    /// <summary><paramref name="count"/> events, then a checkpoint, as AuditChains writes them.</summary>
    private List<byte[]> Story(int count)
    {
        var story = new List<byte[]>();
        var previous = ChainLink.Genesis;
        for (var i = 1; i <= count; i++)
        {
            story.Add(Write(Issued(i), i, previous, _key.MacKey));
            previous = AuditCloudEvent.Hash(story[^1]);
        }

        var head = Base64Url.EncodeToString(previous);
        var at = DateTimeOffset.UtcNow;
        var checkpoint = new ChainCheckpoint(Chain, count, head, _key.SignCheckpoint(Chain, count, head, at, "/oauthaspire/token", final: false), false)
        {
            Service = "token",
            OccurredAt = at,
        };
        story.Add(Write(checkpoint, count + 1, previous, _key.MacKey));
        return story;
    }

    private static TokenIssued Issued(int n = 1) =>
        new("app", "client_credentials", "app", ["a"], $"j-{n}", DateTimeOffset.UnixEpoch) { Service = "token", Actor = AuditActor.Client("app") };

    private static byte[] Write(AuditEvent e, long position, byte[] previous, byte[] macKey) =>
        AuditCloudEvent.Write(e, Issuer, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", new ChainLink(Chain, position, previous), macKey);

    private async Task<string> BreakAsync(List<byte[]> story)
    {
        var verifier = await VerifyAsync(story);
        Assert.False(verifier.Intact);
        return string.Join('\n', verifier.Report());
    }

    private async Task<ChainVerifier> VerifyAsync(List<byte[]> story, AuditKeys? keys = null)
    {
        var verifier = new ChainVerifier(keys ?? _keys, fromStart: true);
        for (var offset = 0; offset < story.Count; offset++)
        {
            using var json = JsonDocument.Parse(story[offset]);
            var e = json.RootElement.Clone();
            await verifier.AddAsync(new StreamEntry(offset, e.GetProperty("data"), e, story[offset], "token", "oauthaspire.audit.from.token"));
        }

        return verifier;
    }
}
