using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace OAuthAspire.Contracts.Audit;

/// <summary>Where an event sits in its writer's hash chain: the chain, its 1-based position, and the SHA-256 of the event before it.</summary>
public readonly record struct ChainLink(string Chain, long Position, byte[] PreviousHash)
{
    /// <summary>What position 1 links to.</summary>
    public static readonly byte[] Genesis = new byte[32];
}

/// <summary>
/// The wire format of the audit stream: one CloudEvents 1.0 event in structured JSON mode per
/// message, written once, when the event's outbox row is written, and published byte for byte.
/// Besides the required attributes it carries <c>subject</c>, <c>dataschema</c>, <c>traceparent</c>
/// (distributed tracing extension) and the chain extensions <c>chain</c>, <c>chainpos</c> (a string:
/// CloudEvents integers are 32-bit), <c>prevhash</c> (base64url SHA-256 of the chain's previous event's
/// published bytes) and, last, <c>chainmac</c>: base64url HMAC-SHA256, under the writer's audit key,
/// of the published bytes with that last member taken out.
/// </summary>
public static class AuditCloudEvent
{
    public const string ContentType = "application/cloudevents+json";
    public const string TypePrefix = "com.oauthaspire.audit.";
    public const string SourcePrefix = "/oauthaspire/";
    public const string SchemaPath = "/audit/schemas/";

    public static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);

    // Inside a JSON string a quote is always escaped, so these bytes can only be the last member's start.
    private static readonly byte[] MacMember = ",\"chainmac\":\""u8.ToArray();

    public static string TypeOf(string eventType, int version) => $"{TypePrefix}{eventType}.v{version.ToString(CultureInfo.InvariantCulture)}";

    public static string SchemaName(string eventType, int version) => $"{eventType}.v{version.ToString(CultureInfo.InvariantCulture)}.json";

    public static string SchemaUri(string issuer, string eventType, int version) => issuer.TrimEnd('/') + SchemaPath + SchemaName(eventType, version);

    /// <summary>The user the event is about or acted, else the client: <c>user/&lt;id&gt;</c> or <c>client/&lt;id&gt;</c>.</summary>
    public static string? SubjectOf(AuditEvent auditEvent) => auditEvent.Actor switch
    {
        { UserId: { Length: > 0 } user } => "user/" + user,
        { ClientId: { Length: > 0 } client } => "client/" + client,
        _ => auditEvent.GetType().GetProperty("ClientId")?.GetValue(auditEvent) is string { Length: > 0 } client ? "client/" + client : null,
    };

    /// <summary>The event's published bytes, its MAC made with <paramref name="macKey"/>.</summary>
    public static byte[] Write(AuditEvent auditEvent, string issuer, string? traceParent, ChainLink link, ReadOnlySpan<byte> macKey)
    {
        var buffer = WriteMembers(auditEvent, issuer, traceParent, link);
        var mac = Mac(buffer.WrittenSpan, macKey);
        var published = new byte[buffer.WrittenCount + MacMember.Length + Base64Url.GetEncodedLength(mac.Length) + 2];
        buffer.WrittenSpan.CopyTo(published);
        var at = buffer.WrittenCount;
        MacMember.CopyTo(published.AsSpan(at));
        at += MacMember.Length;
        at += Base64Url.EncodeToUtf8(mac, published.AsSpan(at));
        "\"}"u8.CopyTo(published.AsSpan(at));
        return published;
    }

    /// <summary>An event outside any chain (written before chains existed): no chain extensions, no MAC.</summary>
    public static byte[] WriteUnchained(AuditEvent auditEvent, string issuer)
    {
        var buffer = WriteMembers(auditEvent, issuer, auditEvent.TraceParent, null);
        var published = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(published);
        published[^1] = (byte)'}';
        return published;
    }

    // Every member up to and including data, the object left open.
    private static ArrayBufferWriter<byte> WriteMembers(AuditEvent auditEvent, string issuer, string? traceParent, ChainLink? link)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", auditEvent.EventId);
            writer.WriteString("source", SourcePrefix + auditEvent.Service);
            writer.WriteString("type", TypeOf(auditEvent.Type, auditEvent.Version));
            writer.WriteString("time", auditEvent.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            if (SubjectOf(auditEvent) is { } subject)
            {
                writer.WriteString("subject", subject);
            }

            writer.WriteString("datacontenttype", "application/json");
            writer.WriteString("dataschema", SchemaUri(issuer, auditEvent.Type, auditEvent.Version));
            if (traceParent is not null)
            {
                writer.WriteString("traceparent", traceParent);
            }

            if (link is { } chained)
            {
                writer.WriteString("chain", chained.Chain);
                writer.WriteString("chainpos", chained.Position.ToString(CultureInfo.InvariantCulture));
                writer.WriteString("prevhash", Base64Url.EncodeToString(chained.PreviousHash));
            }

            writer.WritePropertyName("data");
            JsonSerializer.Serialize(writer, auditEvent, auditEvent.GetType(), DataJson);
        }

        return buffer;
    }

    /// <summary>SHA-256 of an event's published bytes: what the next event of its chain links to.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> published) => SHA256.HashData(published);

    /// <summary>True when the event ends with a <c>chainmac</c> that <paramref name="macKey"/> made over the rest.</summary>
    public static bool MacMatches(ReadOnlySpan<byte> published, ReadOnlySpan<byte> macKey)
    {
        var start = published.LastIndexOf(MacMember);
        if (start < 0 || !published.EndsWith("\"}"u8))
        {
            return false;
        }

        var encoded = published[(start + MacMember.Length)..^2];
        var claimed = new byte[Base64Url.GetMaxDecodedLength(encoded.Length)];
        if (Base64Url.DecodeFromUtf8(encoded, claimed, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(claimed.AsSpan(0, written), Mac(published[..start], macKey));
    }

    /// <summary>The key an audit key's holder MACs its events with: HKDF-SHA256 of the EC private scalar, so one secret serves both.</summary>
    public static byte[] MacKeyOf(ECDsa auditKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, auditKey.ExportParameters(includePrivateParameters: true).D!, 32, info: "oauthaspire audit chain mac"u8.ToArray());

    // Over the members before chainmac, closed as if chainmac were not there.
    private static byte[] Mac(ReadOnlySpan<byte> membersBeforeMac, ReadOnlySpan<byte> macKey)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        hmac.AppendData(membersBeforeMac);
        hmac.AppendData("}"u8);
        return hmac.GetHashAndReset();
    }
}
