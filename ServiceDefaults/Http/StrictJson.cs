using System.Text.Json;
using System.Text.Json.Serialization;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// JSON request bodies are read strictly, as Kubernetes' strict field validation does: a member
/// the resource does not have (<c>"pkceRequierd": true</c>) is refused with a 400 naming it, never
/// dropped, so an administrator cannot believe a misspelt protection is on. This is set on the
/// HTTP JSON options only; the bus, gRPC and JSON the services store keep their own options.
/// </summary>
public static class StrictJson
{
    public const string UnknownField = "unknown field";

    public const string Unreadable = "has the wrong type or format";

    private const int MaxFieldLength = 200;

    public static void Apply(JsonSerializerOptions options) => options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;

    /// <summary>
    /// The field errors of a body System.Text.Json refused, keyed like the validators' own
    /// (<c>pkceRequierd</c>, <c>jwtVerifier.jwksUrl</c>, <c>rules[0].scope</c>); null when no field is to blame.
    /// </summary>
    public static Dictionary<string, string[]>? ErrorsOf(JsonException exception)
    {
        var field = FieldOf(exception.Path);
        if (IsUnknownMember(exception))
        {
            return One(field ?? NameInMessage(exception.Message) ?? "body", UnknownField);
        }

        return field is null ? null : One(field, Unreadable);
    }

    // Names come from the caller's body: echoed (JSON-encoded), but never at any length.
    private static Dictionary<string, string[]> One(string field, string message) =>
        new(StringComparer.Ordinal) { [field.Length > MaxFieldLength ? field[..MaxFieldLength] : field] = [message] };

    // System.Text.Json has no error code: its message ("The JSON property 'x' could not be mapped to
    // any .NET member contained in type ...") is the only mark. StrictJsonTests pins it.
    private static bool IsUnknownMember(JsonException exception) =>
        exception.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal);

    /// <summary><c>$.rules[0].scope</c> → <c>rules[0].scope</c>; the root itself names no field.</summary>
    internal static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.StartsWith('$') ? path[1..] : path;
        return field.Length == 0 ? null : field;
    }

    private static string? NameInMessage(string message)
    {
        var start = message.IndexOf('\'');
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start + 1 ? message[(start + 1)..end] : null;
    }
}
