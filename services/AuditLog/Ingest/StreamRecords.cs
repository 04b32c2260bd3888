using System.Text.Json;
using OAuthAspire.AuditLog.Events;
using OAuthAspire.AuditTail;
using static OAuthAspire.Contracts.Audit.AuditStream;

namespace OAuthAspire.AuditLog.Ingest;

/// <summary>Turns a stream entry into a row: the envelope's fields, and every client and user it names as actor or subject.</summary>
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

        var actor = e.TryGetProperty(Fields.Actor, out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
        string?[] clients = [Text(actor, Fields.ClientId), Text(e, Fields.ClientId)];
        // User names are matched ignoring case (as sign-in does); ids as they are.
        string?[] users = [Text(actor, Fields.UserId), Text(actor, Fields.UserName)?.ToLowerInvariant(),
            Text(e, "userSysId"), Text(e, Fields.UserName)?.ToLowerInvariant()];
        var occurredAt = e.TryGetProperty(Fields.OccurredAt, out var at) && at.TryGetDateTimeOffset(out var time) ? time : DateTimeOffset.UnixEpoch;
        return new AuditRow(entry.Offset, occurredAt, Text(e, Fields.Service) ?? "", type, (Text(e, Fields.Outcome) ?? "").ToLowerInvariant(),
            Distinct(clients), Distinct(users), e.GetRawText());
    }

    private static string[] Distinct(string?[] values) => [.. values.OfType<string>().Where(v => v.Length > 0).Distinct(StringComparer.Ordinal)];

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
