using System.Globalization;
using System.Text;
using System.Text.Json;
using static OAuthAspire.Contracts.Audit.AuditJson;
using static OAuthAspire.Contracts.Audit.AuditStream;

namespace OAuthAspire.AuditTail;

/// <summary>Filters and prints audit events (MassTransit's camelCase JSON of the Contracts records).</summary>
public static class AuditEventView
{
    public static bool Matches(JsonElement e, TailOptions options)
    {
        if (options.Types.Count > 0 && !options.Types.Contains(Text(e, Fields.Type) ?? ""))
        {
            return false;
        }

        if (options.Outcome is { } outcome && !string.Equals(Text(e, Fields.Outcome), outcome, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (options.Since is { } since && (OccurredAt(e) is not { } at || at < since))
        {
            return false;
        }

        var actor = Actor(e);
        if (options.Client is { } client && !string.Equals(ClientOf(e), client, StringComparison.Ordinal))
        {
            return false;
        }

        if (options.User is { } user && !string.Equals(Text(actor, Fields.UserName), user, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(Text(actor, Fields.UserId), user, StringComparison.Ordinal))
        {
            return false;
        }

        return true;
    }

    /// <summary>The event as one JSON line, with the stream offset to resume from.</summary>
    public static string ToJsonLine(StreamEntry entry)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("streamOffset", entry.Offset);
            if (entry.Event.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in entry.Event.EnumerateObject())
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// One readable line: time, service, type, outcome, actor, then the event's own fields.
    /// <c>2026-11-29T10:00:00.123Z token TokenIssued success client=app user=jane jti=... reason=...</c>
    /// </summary>
    public static string ToTextLine(StreamEntry entry)
    {
        var e = entry.Event;
        var line = new StringBuilder();
        line.Append(OccurredAt(e)?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) ?? "?")
            .Append(' ').Append(Text(e, Fields.Service) ?? "?")
            .Append(' ').Append(Text(e, Fields.Type) ?? "?")
            .Append(' ').Append(Text(e, Fields.Outcome)?.ToLowerInvariant() ?? "?");
        if (e.TryGetProperty(Fields.Actor, out var actor) && actor.ValueKind == JsonValueKind.Object)
        {
            Field(line, "client", Text(actor, Fields.ClientId));
            Field(line, "user", Text(actor, Fields.UserName) ?? Text(actor, Fields.UserId));
        }

        Field(line, "from", Text(e, Fields.RemoteAddress));
        foreach (var property in e.EnumerateObject())
        {
            if (!Fields.Common.Contains(property.Name) && property.Value.ValueKind is not JsonValueKind.Null)
            {
                Field(line, property.Name, property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Array => string.Join(',', property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                    _ => property.Value.GetRawText(),
                });
            }
        }

        Field(line, "reason", Text(e, Fields.Reason));
        Field(line, "event", Text(e, Fields.EventId));
        return line.ToString();
    }

    private static void Field(StringBuilder line, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        line.Append(' ').Append(name).Append('=');
        // A value is caller-controlled (a reason, a user name): it must never start a forged line.
        if (value.Any(char.IsControl))
        {
            value = string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        }

        // Quote values with spaces so a line stays splittable.
        if (value.Contains(' ') || value.Contains('"'))
        {
            line.Append('"').Append(value.Replace("\"", "\\\"")).Append('"');
        }
        else
        {
            line.Append(value);
        }
    }
}
