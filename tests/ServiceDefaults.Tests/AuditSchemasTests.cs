using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Testing;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// Every audit event type has a JSON Schema of its CloudEvent <c>data</c>, generated from its record
/// (<see cref="AuditSchemas"/>); the copies checked in under docs/audit-schemas/ are exactly those, and
/// what <see cref="AuditCloudEvent.DataJson"/> writes validates against them (and a wrong field does not).
/// Regenerate the copies with <c>OAUTHASPIRE_WRITE_SCHEMAS=1 dotnet test tests/ServiceDefaults.Tests --filter AuditSchemasTests</c>.
/// </summary>
public sealed class AuditSchemasTests
{
    private const string Regenerate = "OAUTHASPIRE_WRITE_SCHEMAS=1 dotnet test tests/ServiceDefaults.Tests --filter AuditSchemasTests";

    [Fact]
    public void EveryEventTypeHasASchemaOfItsDataWithTheEnvelopeButNotTheTraceParent()
    {
        Assert.Equal(AuditCatalog.Types.Count, AuditSchemas.All.Count);
        foreach (var (name, type) in AuditCatalog.Types)
        {
            var version = ((AuditEvent)RuntimeHelpers.GetUninitializedObject(type)).Version;
            var fileName = AuditCloudEvent.SchemaName(name, version);
            var text = AuditSchemas.Find(fileName);
            Assert.True(text is not null, $"no schema {fileName}");
            Assert.EndsWith("}\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\r", text, StringComparison.Ordinal);

            var schema = JsonNode.Parse(text)!.AsObject();
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
            Assert.Equal($"urn:oauthaspire:audit:{name}:v{version}", (string?)schema["$id"]);
            Assert.Equal($"{name} v{version}", (string?)schema["title"]);
            Assert.Contains(AuditCloudEvent.TypeOf(name, version), (string?)schema["description"], StringComparison.Ordinal);
            Assert.Equal("object", (string?)schema["type"]);

            var properties = schema["properties"]!.AsObject();
            Assert.All(new[] { "eventId", "type", "version", "occurredAt", "service", "traceId", "actor", "outcome", "reason" },
                member => Assert.True(properties.ContainsKey(member), $"{type.Name} has no {member}"));
            Assert.False(properties.ContainsKey("traceParent"), $"{type.Name}: traceParent is the CloudEvent's, never the data's");
        }

        Assert.Equal(AuditSchemas.All.Keys.Order(StringComparer.Ordinal), AuditSchemas.All.Keys);
    }

    [Fact]
    public void TheCheckedInSchemasAreExactlyTheGeneratedOnes()
    {
        var directory = Path.Combine(AuditCatalogTests.Root, "docs", "audit-schemas");
        // CI checks the copies; it never rewrites them.
        if (Environment.GetEnvironmentVariable("OAUTHASPIRE_WRITE_SCHEMAS") == "1" && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Directory.CreateDirectory(directory);
            foreach (var old in Directory.EnumerateFiles(directory, "*.json"))
            {
                File.Delete(old);
            }

            foreach (var (name, text) in AuditSchemas.All)
            {
                File.WriteAllText(Path.Combine(directory, name), text);
            }
        }

        var checkedIn = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(directory))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.json"))
            {
                checkedIn[Path.GetFileName(file)] = File.ReadAllText(file).ReplaceLineEndings("\n");
            }
        }

        var missing = AuditSchemas.All.Keys.Except(checkedIn.Keys).ToArray();
        var extra = checkedIn.Keys.Except(AuditSchemas.All.Keys).ToArray();
        var stale = AuditSchemas.All.Where(x => checkedIn.TryGetValue(x.Key, out var text) && text != x.Value).Select(x => x.Key).ToArray();
        Assert.True(missing.Length + extra.Length + stale.Length == 0,
            $"docs/audit-schemas/ differs from the records: missing [{string.Join(", ", missing)}], extra [{string.Join(", ", extra)}], " +
            $"stale [{string.Join(", ", stale)}]. Regenerate: `{Regenerate}`");
    }

    [Fact]
    public void WhatTheAuditStreamWritesValidatesAgainstItsSchema()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        AuditEvent[] samples =
        [
            new TokenIssued("client-1", "client_credentials", "client-1", ["orders.read", "orders.write"], "jti-1", at.AddMinutes(5))
            {
                OccurredAt = at,
                Service = "token",
                TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
                TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                Actor = AuditActor.Client("client-1"),
                RemoteAddress = "192.0.2.7",
                Reason = "issued for the test",
            },
            new LoginFailed(null, null, null) { Service = "authorize", Outcome = AuditOutcome.Failure },
            new ClientCreated("client-2", "Orders back-end", false, ["client_credentials"], ["orders.read"], [], [], 3)
            {
                Service = "client-registry",
                Actor = AuditActor.User("u-1", "admin"),
            },
        ];

        foreach (var sample in samples)
        {
            var data = JsonSerializer.SerializeToElement(sample, sample.GetType(), AuditCloudEvent.DataJson);
            Assert.False(data.TryGetProperty("traceParent", out _));
            var results = Evaluate(sample, data);
            Assert.True(results.IsValid, $"{sample.Type} does not validate: {SchemaErrors.Of(results)}\n{data}");
        }

        // A wrong field does not: scopes as a number.
        var broken = JsonSerializer.SerializeToNode(samples[0], samples[0].GetType(), AuditCloudEvent.DataJson)!.AsObject();
        broken["scopes"] = 42;
        Assert.False(Evaluate(samples[0], Element(broken)).IsValid, "a TokenIssued whose scopes is a number validates");

        // Nor does an event missing a field its record requires.
        var partial = JsonSerializer.SerializeToNode(samples[2], samples[2].GetType(), AuditCloudEvent.DataJson)!.AsObject();
        partial.Remove("clientId");
        Assert.False(Evaluate(samples[2], Element(partial)).IsValid, "a ClientCreated without clientId validates");
    }

    private static EvaluationResults Evaluate(AuditEvent sample, JsonElement data)
    {
        // A registry of its own: the global one refuses a second schema with the same $id.
        var text = AuditSchemas.Find(AuditCloudEvent.SchemaName(sample.Type, sample.Version))!;
        var schema = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        return schema.Evaluate(data, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static JsonElement Element(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }
}
