using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Json.Schema;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// What the audit stream carries is a CloudEvents 1.0 event in structured mode and nothing else: its
/// attributes agree with its data, it names no broker or host, it carries its chain link and MAC, and
/// its <c>dataschema</c> is served by the edge and validates its <c>data</c>.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditCloudEventTests(SystemFixture system, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly TestApi _api = new(system);

    // A MassTransit envelope's members: none may be left on the wire.
    private static readonly string[] EnvelopeMembers =
        ["messageId", "requestId", "correlationId", "conversationId", "sourceAddress", "destinationAddress", "messageType", "message", "host", "headers"];

    [Fact]
    public async Task EveryEventIsACloudEventWhoseAttributesMatchItsDataAndWhoseDataMatchesItsServedSchema()
    {
        var rabbit = (await system.App.GetConnectionStringAsync("rabbitmq"))!;
        await using var reader = await AuditStreamReader.OpenAsync(rabbit, new StartAt.Next());

        var scope = await _api.CreateScopeAsync("cloudevent");
        var (clientId, secret) = await _api.CreateClientAsync([scope]);
        var issued = await _api.ClientCredentialsAsync(clientId, secret);
        Assert.False(issued.IsError, issued.Error);
        Assert.Equal("invalid_client", TestApi.OAuthError(await _api.ClientCredentialsAsync(clientId, "not-the-secret-0123456789")));

        string[] expected = ["ScopeCreated", "ClientCreated", "TokenIssued", "TokenRequestRefused"];
        StreamEntry[] Ours(IEnumerable<StreamEntry> entries) => entries
            .Where(e => e.Event.ValueKind == JsonValueKind.Object)
            .Where(e => e.Event.GetRawText().Contains(scope, StringComparison.Ordinal) || e.Event.GetRawText().Contains(clientId, StringComparison.Ordinal))
            .ToArray();
        var complete = await reader.ReadUntilAsync(entries => expected.All(t => Ours(entries).Any(e => TypeOf(e) == t)), TimeSpan.FromSeconds(30));
        var ours = Ours(reader.Entries);
        Assert.True(complete, "events seen: " + string.Join(", ", ours.Select(TypeOf)));

        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (var entry in ours)
        {
            // The sizes README's retention arithmetic uses.
            output.WriteLine($"{entry.Event.GetProperty("type").GetString()}: {entry.Body.Length} bytes");
            var type = TypeOf(entry);
            var data = entry.Event;
            var cloudEvent = entry.CloudEvent;
            var body = Encoding.UTF8.GetString(entry.Body);
            string Attribute(string name) =>
                cloudEvent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new Xunit.Sdk.XunitException($"{type}: no {name} in {body}");

            // The required attributes, from the data.
            Assert.Equal("1.0", Attribute("specversion"));
            Assert.Equal(data.GetProperty("eventId").GetString(), Attribute("id"));
            Assert.Equal(AuditCloudEvent.SourcePrefix + data.GetProperty("service").GetString(), Attribute("source"));
            var version = data.GetProperty("version").GetInt32();
            Assert.Equal($"com.oauthaspire.audit.{type}.v{version}", Attribute("type"));
            var time = Attribute("time");
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", time);
            Assert.Equal(data.GetProperty("occurredAt").GetDateTimeOffset().ToUnixTimeMilliseconds(),
                DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
            Assert.Equal("application/json", Attribute("datacontenttype"));

            // Distributed tracing: the same trace as the data names.
            var traceParent = Attribute("traceparent");
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", traceParent);
            Assert.Equal(data.GetProperty("traceId").GetString(), traceParent.Split('-')[1]);

            // Attributes only (lower-case alphanumerics, CloudEvents §3.1.1), no envelope, no machine or broker address.
            var names = cloudEvent.EnumerateObject().Select(member => member.Name).ToArray();
            Assert.All(names, name => Assert.Matches("^[a-z0-9]+$", name));
            Assert.All(names, name => Assert.DoesNotContain(name, EnvelopeMembers, StringComparer.OrdinalIgnoreCase));
            // A very short host name could occur by chance in an id or a MAC.
            if (Environment.MachineName.Length >= 6)
            {
                Assert.DoesNotContain(Environment.MachineName, body, StringComparison.OrdinalIgnoreCase);
            }

            Assert.DoesNotContain("rabbitmq://", body, StringComparison.OrdinalIgnoreCase);

            // The chain extensions and the MAC, last.
            Assert.Matches("^[a-z-]+-[0-9a-f]{16}-[0-9]+$", Attribute("chain"));
            Assert.Matches("^[0-9]+$", Attribute("chainpos"));
            Assert.Matches("^[A-Za-z0-9_-]{43}$", Attribute("prevhash"));
            Assert.Matches(@",""chainmac"":""[A-Za-z0-9_-]{43}""\}$", body);

            // The schema its dataschema names: served by the edge, and the data is valid under it.
            var dataSchema = Attribute("dataschema");
            Assert.True(Uri.TryCreate(dataSchema, UriKind.Absolute, out _), dataSchema);
            Assert.StartsWith(system.EdgeUrl.ToString(), dataSchema, StringComparison.Ordinal);
            Assert.EndsWith(AuditCloudEvent.SchemaPath + AuditCloudEvent.SchemaName(type, version), dataSchema, StringComparison.Ordinal);
            if (!schemas.TryGetValue(dataSchema, out var schema))
            {
                using var response = await _api.Edge.GetAsync(dataSchema);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{dataSchema}: {(int)response.StatusCode} {text}");
                Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(AuditSchemas.Find(AuditCloudEvent.SchemaName(type, version)), text);
                // A registry of its own: the global one refuses a second schema with the same $id.
                schemas[dataSchema] = schema = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
            }

            var results = schema.Evaluate(data, new EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
            Assert.True(results.IsValid, $"{type} does not validate against {dataSchema}:\n{SchemaErrors.Of(results)}\n{data}");

            if (type == "TokenIssued")
            {
                Assert.Equal("client/" + clientId, Attribute("subject"));
            }
        }
    }

    [Fact]
    public async Task TheEdgeListsAndServesEverySchemaAndNoOther()
    {
        using var list = await _api.Edge.GetAsync(system.Issuer + "/audit/schemas");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(AuditSchemas.All.Keys, listed.Keys);
        Assert.All(listed, p => Assert.Equal(system.Issuer + AuditCloudEvent.SchemaPath + p.Key, p.Value));

        using var one = await _api.Edge.GetAsync(listed["TokenIssued.v1.json"]);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("application/schema+json", one.Content.Headers.ContentType?.MediaType);
        Assert.True(one.Headers.CacheControl is { Public: true } cache && cache.MaxAge == TimeSpan.FromHours(1), $"Cache-Control: {one.Headers.CacheControl}");
        Assert.Equal(AuditSchemas.Find("TokenIssued.v1.json"), await one.Content.ReadAsStringAsync());

        using var none = await _api.Edge.GetAsync(system.Issuer + "/audit/schemas/NoSuchEvent.v1.json");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal("No such audit schema", JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
    }

    private static string TypeOf(StreamEntry entry) => entry.Event.GetProperty("type").GetString()!;
}
