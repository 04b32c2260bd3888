using System.Text.Json.Nodes;
using OAuthAspire.Edge.Discovery;

namespace OAuthAspire.Edge.Tests;

/// <summary>The services' admin documents become one: paths kept, equal schemas once, colliding names kept apart on purpose.</summary>
public class OpenApiMergeTests
{
    private const string Issuer = "https://id.example.com";

    private static JsonObject Document(string path, string schemaName, JsonObject schema, JsonObject? more = null)
    {
        var schemas = new JsonObject { [schemaName] = schema };
        foreach (var (name, extra) in more ?? [])
        {
            schemas[name] = extra!.DeepClone();
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.1",
            ["info"] = new JsonObject { ["title"] = "x", ["version"] = "1" },
            ["paths"] = new JsonObject
            {
                [path] = new JsonObject
                {
                    ["get"] = new JsonObject
                    {
                        ["responses"] = new JsonObject
                        {
                            ["200"] = new JsonObject
                            {
                                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" } } },
                            },
                        },
                    },
                },
            },
            ["components"] = new JsonObject { ["schemas"] = schemas },
            ["tags"] = new JsonArray(new JsonObject { ["name"] = path.Split('/')[3] }),
        };
    }

    private static JsonObject Object(string property) => new() { ["type"] = "object", ["properties"] = new JsonObject { [property] = new JsonObject { ["type"] = "string" } } };

    private static string RefOf(JsonObject merged, string path) =>
        merged["paths"]![path]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>();

    [Fact]
    public void EqualSchemasAreKeptOnceAndASameNamedDifferentShapeIsRenamedWithEveryReferenceToIt()
    {
        var merged = OpenApiMerge.Merge(
        [
            ("authorize", Document("/api/admin/consents", "ConsentDto", Object("userName"), new JsonObject { ["ProblemDetails"] = Object("title") })),
            ("client-registry", Document("/api/admin/clients", "ConsentDto", Object("clientId"), new JsonObject { ["ProblemDetails"] = Object("title") })),
        ], Issuer, "admin.api");

        var schemas = merged["components"]!["schemas"]!.AsObject();
        Assert.Equal(["ClientRegistryConsentDto", "ConsentDto", "ProblemDetails"], schemas.Select(s => s.Key).Order());
        Assert.Equal("#/components/schemas/ConsentDto", RefOf(merged, "/api/admin/consents"));
        Assert.Equal("#/components/schemas/ClientRegistryConsentDto", RefOf(merged, "/api/admin/clients"));
        Assert.NotNull(schemas["ClientRegistryConsentDto"]!["properties"]!["clientId"]);
        Assert.Equal(["clients", "consents"], merged["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).Order());
    }

    [Fact]
    public void ASchemaThatDiffersOnlyByReferringToARenamedOneIsRenamedToo()
    {
        static JsonObject Wrapper() => new() { ["type"] = "object", ["properties"] = new JsonObject { ["item"] = new JsonObject { ["$ref"] = "#/components/schemas/Item" } } };
        var first = Document("/api/admin/a", "Page", Wrapper(), new JsonObject { ["Item"] = Object("a") });
        var second = Document("/api/admin/b", "Page", Wrapper(), new JsonObject { ["Item"] = Object("b") });

        var merged = OpenApiMerge.Merge([("token", first), ("scope-policy", second)], Issuer, "admin.api");

        Assert.Equal("#/components/schemas/ScopePolicyPage", RefOf(merged, "/api/admin/b"));
        Assert.Equal("#/components/schemas/ScopePolicyItem",
            merged["components"]!["schemas"]!["ScopePolicyPage"]!["properties"]!["item"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/Item", merged["components"]!["schemas"]!["Page"]!["properties"]!["item"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public void TheIssuerIsTheServerAndItsOwnOAuthIsTheOnlySecurity()
    {
        var merged = OpenApiMerge.Merge([("token", Document("/api/admin/keys", "KeyDto", Object("kid")))], Issuer, "admin.api");

        Assert.Equal(Issuer, merged["servers"]![0]!["url"]!.GetValue<string>());
        var flows = merged["components"]!["securitySchemes"]!["oauth2"]!["flows"]!;
        Assert.Equal(Issuer + "/oauth/token", flows["clientCredentials"]!["tokenUrl"]!.GetValue<string>());
        Assert.Equal(Issuer + "/oauth/authorize", flows["authorizationCode"]!["authorizationUrl"]!.GetValue<string>());
        Assert.Equal("admin.api", merged["security"]![0]!["oauth2"]![0]!.GetValue<string>());
    }

    [Fact]
    public void AnOperationTwoServicesDescribeIsAnError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OpenApiMerge.Merge(
            [("token", Document("/api/admin/x", "A", Object("a"))), ("directory", Document("/api/admin/x", "A", Object("a")))], Issuer, "admin.api"));
        Assert.Contains("GET /api/admin/x", error.Message);
    }
}
