using System.Text.Json.Nodes;

namespace OAuthAspire.Edge.Discovery;

/// <summary>
/// Merges the services' admin OpenAPI documents into the one the edge publishes. Paths are disjoint
/// (each admin prefix has one owner; two services describing one operation is an error). Schemas of
/// the same name and content are kept once; a name two services use for different shapes
/// (<c>ConsentDto</c>, say) is renamed in the later service's document, prefixed with that service's
/// name, and every reference to it rewritten. The security scheme is this server's own OAuth 2.0.
/// </summary>
public static class OpenApiMerge
{
    public const string SchemeName = "oauth2";

    private const string SchemaRef = "#/components/schemas/";

    public static JsonObject Merge(IReadOnlyList<(string Service, JsonObject Document)> documents, string issuer, string adminScope)
    {
        var paths = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var schemas = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        var tags = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        string? version = null;
        foreach (var (service, source) in documents)
        {
            var document = (JsonObject)source.DeepClone();
            version ??= document["openapi"]?.GetValue<string>();
            var own = document["components"]?["schemas"] as JsonObject ?? [];
            var renames = RenamesFor(service, own, schemas);
            Rewrite(document, renames);
            foreach (var (name, schema) in (document["components"]?["schemas"] as JsonObject ?? []).ToList())
            {
                var key = renames.GetValueOrDefault(name, name);
                if (!schemas.TryAdd(key, schema!.DeepClone()) && renames.ContainsKey(name))
                {
                    throw new InvalidOperationException($"The schema name {key} is taken twice.");
                }
            }

            foreach (var (path, item) in document["paths"] as JsonObject ?? [])
            {
                var merged = paths.TryGetValue(path, out var existing) ? existing : paths[path] = [];
                foreach (var (method, operation) in (JsonObject)item!)
                {
                    if (merged.ContainsKey(method))
                    {
                        throw new InvalidOperationException($"{method.ToUpperInvariant()} {path} is described by two services.");
                    }

                    merged[method] = operation!.DeepClone();
                }
            }

            foreach (var tag in document["tags"] as JsonArray ?? [])
            {
                if (tag?["name"]?.GetValue<string>() is { } name)
                {
                    tags.TryAdd(name, tag.DeepClone());
                }
            }
        }

        var scopes = new JsonObject { [adminScope] = "The admin APIs (the caller's user needs an admin role too)." };
        return new JsonObject
        {
            ["openapi"] = version ?? "3.1.1",
            ["info"] = new JsonObject
            {
                ["title"] = "OAuthAspire admin API",
                ["version"] = "1",
                ["description"] = "Users, applications, scopes, API policies, trusts, signing keys, consents and tokens. "
                    + $"Every call needs an access token of this issuer with `{adminScope}` whose user has an admin role "
                    + "(`oauth_admin`, `mi_admin`, `admin`). Errors are RFC 9457 ProblemDetails.",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = issuer }),
            ["security"] = new JsonArray(new JsonObject { [SchemeName] = new JsonArray(adminScope) }),
            ["tags"] = new JsonArray([.. tags.Values]),
            ["paths"] = new JsonObject(paths.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["components"] = new JsonObject
            {
                ["schemas"] = new JsonObject(schemas.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
                ["securitySchemes"] = new JsonObject
                {
                    [SchemeName] = new JsonObject
                    {
                        ["type"] = "oauth2",
                        ["description"] = "This server's own tokens: client credentials for an administrator's application, "
                            + "or authorization code with PKCE (S256) for a signed-in administrator.",
                        ["flows"] = new JsonObject
                        {
                            ["clientCredentials"] = new JsonObject
                            {
                                ["tokenUrl"] = issuer + "/oauth/token",
                                ["scopes"] = scopes.DeepClone(),
                            },
                            ["authorizationCode"] = new JsonObject
                            {
                                ["authorizationUrl"] = issuer + "/oauth/authorize",
                                ["tokenUrl"] = issuer + "/oauth/token",
                                ["scopes"] = scopes.DeepClone(),
                            },
                        },
                    },
                },
            },
        };
    }

    /// <summary>
    /// The schemas of <paramref name="own"/> to rename: those whose name is taken by a different shape,
    /// and then those that differ only because they refer to a renamed one (until nothing changes).
    /// </summary>
    private static Dictionary<string, string> RenamesFor(string service, JsonObject own, SortedDictionary<string, JsonNode> taken)
    {
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefix = string.Concat(service.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
        bool changed;
        do
        {
            changed = false;
            foreach (var (name, schema) in own)
            {
                if (renames.ContainsKey(name) || !taken.TryGetValue(name, out var existing))
                {
                    continue;
                }

                var candidate = schema!.DeepClone();
                Rewrite(candidate, renames);
                if (!JsonNode.DeepEquals(candidate, existing))
                {
                    renames[name] = prefix + name;
                    changed = true;
                }
            }
        }
        while (changed);
        return renames;
    }

    /// <summary>A reference into a renamed schema (itself or a part of it), pointed at the new name; null otherwise.</summary>
    private static string? Renamed(string target, IReadOnlyDictionary<string, string> renames)
    {
        if (!target.StartsWith(SchemaRef, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = target[SchemaRef.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? rest : rest[..slash];
        return renames.TryGetValue(name, out var renamed) ? SchemaRef + renamed + (slash < 0 ? "" : rest[slash..]) : null;
    }

    /// <summary>Points every <c>$ref</c> to a renamed schema at its new name, in place.</summary>
    private static void Rewrite(JsonNode? node, IReadOnlyDictionary<string, string> renames)
    {
        if (renames.Count == 0)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                if (obj["$ref"] is JsonValue reference && reference.TryGetValue<string>(out var target) && Renamed(target, renames) is { } renamed)
                {
                    obj["$ref"] = renamed;
                }

                // A discriminator maps values to schema references too.
                if (obj["mapping"] is JsonObject mapping && obj.ContainsKey("propertyName"))
                {
                    foreach (var (value, mapped) in mapping.ToList())
                    {
                        if (mapped is JsonValue text && text.TryGetValue<string>(out var to) && Renamed(to, renames) is { } renamedTo)
                        {
                            mapping[value] = renamedTo;
                        }
                    }
                }

                // Renamed schemas are re-keyed by the caller; their bodies are rewritten here like the rest.
                foreach (var (_, child) in obj.ToList())
                {
                    Rewrite(child, renames);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Rewrite(child, renames);
                }

                break;
        }
    }
}
