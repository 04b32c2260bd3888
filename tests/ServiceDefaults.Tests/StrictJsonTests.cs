using System.Text.Json;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// Request bodies under the services' HTTP JSON options: a member the type lacks is refused and
/// named, wherever it is nested; what the type has (in any case, or read-only, as a GET returns
/// it) still reads.
/// </summary>
public class StrictJsonTests
{
    public sealed record Rule(string[]? Methods, string? Resource, string[]? Scopes);

    public sealed record Resource(string? Name, bool? PkceRequired, Rule[]? Rules)
    {
        public Settings? Verifier { get; init; }

        // Computed, as VerifierSettings' effective values are: written by a GET, sent back by a PUT.
        public string Summary => $"{Name}:{PkceRequired}";
    }

    public sealed record Settings
    {
        public string? JwksUri { get; init; }
    }

    private static readonly JsonSerializerOptions Options = Strict();

    private static JsonSerializerOptions Strict()
    {
        // As HostingExtensions configures the HTTP JSON options (which start from the web defaults).
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        StrictJson.Apply(options);
        return options;
    }

    private static Dictionary<string, string[]>? ErrorsOf(string json) =>
        StrictJson.ErrorsOf(Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Resource>(json, Options)));

    [Theory]
    [InlineData("""{"name":"x","pkceRequierd":true}""", "pkceRequierd")]
    [InlineData("""{"name":"x","verifier":{"jwksUrl":"https://keys.example.test"}}""", "verifier.jwksUrl")]
    [InlineData("""{"name":"x","rules":[{"resource":"/api/x","scope":["a"]}]}""", "rules[0].scope")]
    public void AnUnknownMemberIsRefusedAndNamedByItsPath(string json, string field)
    {
        var errors = ErrorsOf(json);

        Assert.NotNull(errors);
        Assert.Equal(StrictJson.UnknownField, Assert.Single(Assert.Contains(field, errors)));
        Assert.Single(errors);
    }

    [Fact]
    public void AMemberOfTheWrongTypeIsNamedToo()
    {
        var errors = ErrorsOf("""{"name":"x","pkceRequired":"yes"}""");

        Assert.NotNull(errors);
        Assert.Equal(StrictJson.Unreadable, Assert.Single(Assert.Contains("pkceRequired", errors)));
    }

    [Fact]
    public void ABodyOfTheWrongShapeNamesNoField() =>
        Assert.Null(ErrorsOf("[]"));

    [Fact]
    public void KnownMembersInAnyCaseAndReadOnlyMembersAsAGetReturnsThemStillRead()
    {
        var original = new Resource("x", true, [new Rule(["GET"], "/api/x", ["a"])]) { Verifier = new Settings { JwksUri = "https://keys.example.test" } };
        var asReturned = JsonSerializer.Serialize(original, Options);
        Assert.Contains("\"summary\"", asReturned, StringComparison.Ordinal);

        Assert.Equal("x", JsonSerializer.Deserialize<Resource>(asReturned, Options)!.Name);
        Assert.True(JsonSerializer.Deserialize<Resource>("""{"NAME":"x","PkceRequired":true}""", Options)!.PkceRequired);
    }

    [Theory]
    [InlineData("$", null)]
    [InlineData(null, null)]
    [InlineData("$.a", "a")]
    [InlineData("$.a.b[2].c", "a.b[2].c")]
    public void JsonPathsBecomeTheValidatorsFieldNames(string? path, string? field) =>
        Assert.Equal(field, StrictJson.FieldOf(path));
}
