using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OAuthAspire.Contracts.Audit;

/// <summary>
/// A JSON Schema (draft 2020-12) for the <c>data</c> of each audit event type, generated from its
/// record with the contract <see cref="AuditCloudEvent.DataJson"/> writes it by, so it cannot drift
/// from the wire. Served by the edge at each event's <c>dataschema</c>; checked in under
/// docs/audit-schemas/ (a test fails when those copies are stale).
/// </summary>
public static class AuditSchemas
{
    private const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";

    // DataJson's contract, with nullable annotations heeded (string vs ["string","null"]) and numbers
    // as they are written, not as a reader may also accept them (no string-or-integer patterns).
    private static readonly JsonSerializerOptions Contract = new(AuditCloudEvent.DataJson)
    {
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonSchemaExporterOptions Exporter = new()
    {
        // The data itself and the items of its lists are never null.
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = GetOnlyIsNotNull,
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NewLine = "\n" };

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Generated = new(Generate);

    /// <summary>File name (<c>TokenIssued.v1.json</c>) → schema text, ordered by name.</summary>
    public static IReadOnlyDictionary<string, string> All => Generated.Value;

    public static string? Find(string fileName) => All.GetValueOrDefault(fileName);

    private static SortedDictionary<string, string> Generate()
    {
        var schemas = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var type in AuditCatalog.Types.Values)
        {
            // Version is a constant-returning property: no constructor (they all need arguments) must run to read it.
            var version = ((AuditEvent)RuntimeHelpers.GetUninitializedObject(type)).Version;
            schemas.Add(AuditCloudEvent.SchemaName(type.Name, version), Describe(type, version));
        }

        return schemas;
    }

    private static string Describe(Type type, int version)
    {
        var schema = new JsonObject
        {
            ["$schema"] = Draft202012,
            ["$id"] = $"urn:oauthaspire:audit:{type.Name}:v{version}",
            ["title"] = $"{type.Name} v{version}",
            ["description"] = $"The data of an OAuthAspire audit event: a CloudEvent of type {AuditCloudEvent.TypeOf(type.Name, version)}.",
        };
        foreach (var (keyword, value) in Contract.GetJsonSchemaAsNode(type, Exporter).AsObject())
        {
            schema[keyword] = value?.DeepClone();
        }

        return schema.ToJsonString(Indented) + "\n";
    }

    // The exporter counts a property without a setter as possibly null when set; a get-only one (Type)
    // is never set, so only what it returns matters.
    private static JsonNode GetOnlyIsNotNull(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (context.PropertyInfo is { Set: null, IsGetNullable: false } && schema is JsonObject node && node["type"] is JsonArray types
            && types.Select(t => t?.GetValue<string>()).Where(t => t != "null").ToArray() is [{ } only])
        {
            node["type"] = only;
        }

        return schema;
    }
}
