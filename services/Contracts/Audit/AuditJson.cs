using System.Text.Json;

namespace OAuthAspire.Contracts.Audit;

/// <summary>Reading an audit event's JSON fields (<see cref="AuditStream.Fields"/>) without trusting their shape.</summary>
public static class AuditJson
{
    /// <summary>A string field, or null when absent or not a string.</summary>
    public static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The event's <c>actor</c> object, or default when absent.</summary>
    public static JsonElement Actor(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(AuditStream.Fields.Actor, out var a) && a.ValueKind == JsonValueKind.Object ? a : default;

    /// <summary>The client that acted, else the client the event is about.</summary>
    public static string? ClientOf(JsonElement e) => Text(Actor(e), AuditStream.Fields.ClientId) ?? Text(e, AuditStream.Fields.ClientId);

    public static DateTimeOffset? OccurredAt(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(AuditStream.Fields.OccurredAt, out var v) && v.ValueKind == JsonValueKind.String
            && v.TryGetDateTimeOffset(out var at) ? at : null;
}
