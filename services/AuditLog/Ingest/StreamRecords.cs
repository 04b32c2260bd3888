using System.Text.Json;
using OAuthAspire.AuditLog.Events;
using OAuthAspire.AuditTail;
using static OAuthAspire.Contracts.Audit.AuditJson;
using static OAuthAspire.Contracts.Audit.AuditStream;

namespace OAuthAspire.AuditLog.Ingest;

/// <summary>
/// Turns a stream entry into a row: the envelope's fields, and every client and user it names as actor
/// or subject. Nothing in an event is trusted to fit: the service is the broker-checked publisher (not
/// the event's own claim), and NUL characters (which PostgreSQL's text and jsonb refuse, and which a
/// caller can put into a refused request's fields) become U+FFFD, so no event can stop the log.
/// </summary>
public static class StreamRecords
{
    /// <summary>Null for an entry with no event fields (not JSON, or not an object): nothing to show or filter.</summary>
    public static AuditRow? From(StreamEntry entry)
    {
        var e = entry.Event;
        if (e.ValueKind != JsonValueKind.Object || Text(e, Fields.Type) is not { } type)
        {
            return null;
        }

        var actor = Actor(e);
        List<string?> clients = [Text(actor, Fields.ClientId), Text(e, Fields.ClientId)];
        // User names are matched ignoring case (as sign-in does); ids as they are.
        List<string?> users = [Text(actor, Fields.UserId), Text(actor, Fields.UserName)?.ToLowerInvariant(), Text(e, "userSysId"),
            Text(e, Fields.UserName)?.ToLowerInvariant(), Text(e, "subject")];
        // Bulk revocations and cut-offs name their subject by kind.
        (Text(e, "subjectKind") == "client" ? clients : users).Add(Text(e, "subjectId"));
        // A login's events say "token" for the token service; a service's replicas share its login.
        var service = entry.UserId ?? "(unknown)";
        return new AuditRow(entry.Offset, OccurredAt(e) ?? DateTimeOffset.UnixEpoch, Clean(service), Clean(type),
            Clean(Text(e, Fields.Outcome) ?? "").ToLowerInvariant(), Distinct(clients), Distinct(users), Sanitized(e));
    }

    private static string[] Distinct(IEnumerable<string?> values) =>
        [.. values.OfType<string>().Where(v => v.Length > 0).Select(Clean).Distinct(StringComparer.Ordinal)];

    private static string Clean(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    /// <summary>The event's JSON as stored: the same, but with no NUL in any name or string.</summary>
    private static string Sanitized(JsonElement e)
    {
        var raw = e.GetRawText();
        if (!raw.Contains("\\u0000", StringComparison.OrdinalIgnoreCase))
        {
            return raw;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, e);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in e.EnumerateObject())
                {
                    writer.WritePropertyName(Clean(property.Name));
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(Clean(e.GetString()!));
                break;
            default:
                e.WriteTo(writer);
                break;
        }
    }
}
