using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// The audit catalogue (services/Contracts/Audit) is complete, safe and documented: every event is
/// a sealed, versioned record, none has a field that could hold a secret, every one is written by
/// some service, and docs/AUDIT-EVENTS.md lists exactly what the records say.
/// Regenerate the document with <c>UPDATE_AUDIT_CATALOGUE=1 dotnet test tests/ServiceDefaults.Tests</c>.
/// </summary>
public partial class AuditCatalogTests
{
    /// <summary>The repository root (where OAuthAspire.sln is), for tests that read its files.</summary>
    internal static readonly string Root = FindRoot();

    private static readonly Type[] Events = [.. AuditCatalog.Types.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    // Field names that would carry a credential, a token or a code instead of an identifier.
    [GeneratedRegex("(secret|password|passwd|token|code|assertion|credential|cookie|verifier|privatekey|sharedkey)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();

    // Identifiers and kinds that merely end like one.
    private static readonly HashSet<string> AllowedNames = new(StringComparer.Ordinal) { "TokenType", "PasswordChanged" };

    [Fact]
    public void The_catalogue_holds_every_event_type_of_the_contracts_assembly()
    {
        Assert.True(Events.Length >= 40, $"only {Events.Length} events");
        var all = typeof(AuditEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(AuditEvent))).ToArray();
        Assert.Equal(all.Length, Events.Length);
        Assert.All(Events, t => Assert.Same(t, AuditCatalog.Resolve(t.Name)));
    }

    [Fact]
    public void Every_event_is_a_sealed_record_with_a_version_and_the_common_envelope()
    {
        foreach (var type in Events)
        {
            Assert.True(type.IsSealed, $"{type.Name} is not sealed");
            Assert.NotNull(type.GetMethod("<Clone>$")); // only records have it
            var sample = Sample(type);
            Assert.True(sample.Version >= 1, $"{type.Name} has no version");
            Assert.Equal(type.Name, sample.Type);
            Assert.NotEqual(Guid.Empty, sample.EventId);
        }
    }

    [Fact]
    public void No_event_has_a_field_that_could_hold_a_secret_token_password_or_code()
    {
        var offenders = Events
            .SelectMany(t => t.GetProperties().Select(p => (Type: t, Property: p)))
            .Where(x => SecretLikeName().IsMatch(x.Property.Name) && !AllowedNames.Contains(x.Property.Name))
            .Select(x => $"{x.Type.Name}.{x.Property.Name}")
            .ToArray();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Free_text_fields_never_carry_anything_credential_shaped()
    {
        var jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLWJ5dGVz";
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var text = $"refused: the caller sent {jwt} and {secret} (client abc-123)";
        foreach (var type in Events)
        {
            var sample = Sample(type) with { Reason = text };
            var json = JsonSerializer.Serialize(sample, type, OAuthAspire.Contracts.Audit.AuditCloudEvent.DataJson);
            Assert.DoesNotContain(jwt, json, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
            Assert.Contains("client abc-123", json, StringComparison.Ordinal);
        }

        var limited = new RateLimited("login", $"ada {secret}", "POST", "/oauth/login");
        Assert.DoesNotContain(secret, limited.Key, StringComparison.Ordinal);
        Assert.StartsWith("ada ", limited.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_event_is_written_by_at_least_one_service()
    {
        var emitters = Emitters();
        var never = Events.Where(t => emitters[t.Name].Count == 0).Select(t => t.Name).ToArray();
        Assert.Empty(never);
    }

    [Fact]
    public void The_event_document_matches_the_catalogue()
    {
        var path = Path.Combine(Root, "docs", "AUDIT-EVENTS.md");
        var expected = Document();
        // CI checks the document; it never rewrites it.
        if (Environment.GetEnvironmentVariable("UPDATE_AUDIT_CATALOGUE") == "1" && Environment.GetEnvironmentVariable("CI") != "true")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), "docs/AUDIT-EVENTS.md is missing: run with UPDATE_AUDIT_CATALOGUE=1");
        Assert.True(expected == File.ReadAllText(path).ReplaceLineEndings("\n"),
            "docs/AUDIT-EVENTS.md is stale: run `UPDATE_AUDIT_CATALOGUE=1 dotnet test tests/ServiceDefaults.Tests -c Release`");
    }

    private static AuditEvent Sample(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters().Select(p => p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
        return (AuditEvent)constructor.Invoke(arguments);
    }

    /// <summary>Event name → services whose source constructs it (<c>new Name(</c>).</summary>
    private static Dictionary<string, SortedSet<string>> Emitters()
    {
        var result = Events.ToDictionary(t => t.Name, _ => new SortedSet<string>(StringComparer.Ordinal));
        var sources = Directory.EnumerateFiles(Path.Combine(Root, "services"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "ServiceDefaults"), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Contracts{Path.DirectorySeparatorChar}"));
        foreach (var file in sources)
        {
            var text = File.ReadAllText(file);
            var relative = Path.GetRelativePath(Root, file).Split(Path.DirectorySeparatorChar);
            var service = relative[0] == "services" ? ServiceName(relative[1]) : "every service";
            foreach (var name in result.Keys)
            {
                if (Regex.IsMatch(text, $@"new\s+{name}\s*\("))
                {
                    result[name].Add(service);
                }
            }
        }

        return result;
    }

    private static string ServiceName(string folder) => folder switch
    {
        "ClientRegistry" => "client-registry",
        "FederationTrust" => "federation-trust",
        "ScopePolicy" => "scope-policy",
        _ => folder.ToLowerInvariant(),
    };

    private static string Document()
    {
        var summaries = Summaries();
        var emitters = Emitters();
        var doc = new StringBuilder();
        doc.Append($$"""
            # Audit events

            Generated from `services/Contracts/Audit` by `tests/ServiceDefaults.Tests/AuditCatalogTests.cs`
            (`UPDATE_AUDIT_CATALOGUE=1 dotnet test tests/ServiceDefaults.Tests -c Release`); a test fails when
            it is stale. How to read the stream: README, "Auditors".

            ## Fields every event's data carries

            | field | meaning |
            |---|---|
            | `eventId` | stable id (UUIDv7); a repeat after a crash has the same id: drop it |
            | `type` | the event's name below |
            | `version` | schema version of that event; bumped on any incompatible change |
            | `occurredAt` | when the change committed or the decision was made (UTC) |
            | `service` | the service that wrote it |
            | `traceId` | W3C trace id of the request (find it in the dashboard) |
            | `actor` | `{userId, userName, clientId}`: who acted, any may be null (the system) |
            | `remoteAddress` | the caller's address as the edge saw it, when there was a caller |
            | `outcome` | `Success` or `Failure` |
            | `reason` | why, for refusals; never a secret |

            Events never carry a secret, password, token, code or assertion: tokens appear as their `jti`,
            codes as a prefix of their hash. On the wire each event is a CloudEvents 1.0 event in structured
            JSON mode whose `data` holds these fields (camelCase), of type `com.oauthaspire.audit.<event>.v<v>`;
            its JSON Schema is `docs/audit-schemas/<event>.v<v>.json`, also served by the edge at the event's
            `dataschema` URL (README, "Auditors", has the format, the hash chain and how to verify it).

            Auditors find them under fixed broker names (`services/Contracts/Audit/AuditStream.cs`), which no .NET type
            or namespace name changes: each service's relay publishes to its fanout exchange
            `{{AuditStream.ServiceExchangePrefix}}<service>`, bound to the fanout exchange `{{AuditStream.Exchange}}`, bound
            to the stream queue `{{AuditStream.StreamName}}` (the AppHost's `Audit:Stream:Name` by default).

            ## Events

            | event | v | written by | fields | meaning |
            |---|---|---|---|---|

            """.Replace("\r\n", "\n"));
        foreach (var type in Events)
        {
            var fields = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters()
                .Select(p => $"`{char.ToLowerInvariant(p.Name![0])}{p.Name[1..]}` {TypeName(p.ParameterType)}");
            doc.Append($"| `{type.Name}` | {Sample(type).Version} | {string.Join(", ", emitters[type.Name])} | {string.Join(", ", fields)} | {summaries.GetValueOrDefault(type.Name, "")} |\n");
        }

        return doc.ToString();
    }

    private static string TypeName(Type type)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        if (nullable is not null)
        {
            return TypeName(nullable) + "?";
        }

        if (type.IsGenericType)
        {
            return "list of " + TypeName(type.GetGenericArguments()[0]);
        }

        return type.Name switch
        {
            "String" => "string",
            "Int32" or "Int64" => "number",
            "Boolean" => "bool",
            "DateTimeOffset" => "time",
            "Guid" => "uuid",
            _ => type.Name,
        };
    }

    /// <summary>The one-line summary comment above each record in the contract sources.</summary>
    private static Dictionary<string, string> Summaries()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "services", "Contracts", "Audit"), "*.cs"))
        {
            foreach (Match m in Regex.Matches(File.ReadAllText(file), @"/// <summary>(?<text>.*?)</summary>\s*public sealed record (?<name>\w+)", RegexOptions.Singleline))
            {
                var text = Regex.Replace(m.Groups["text"].Value.Replace("///", " "), @"<see cref=""(?:[\w.]+\.)?(\w+)""\s*/>|<c>(.*?)</c>|<paramref name=""(\w+)""\s*/>", x => x.Groups[1].Value + x.Groups[2].Value + x.Groups[3].Value);
                result[m.Groups["name"].Value] = Regex.Replace(text, @"\s+", " ").Trim().Replace("|", "\\|");
            }
        }

        return result;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OAuthAspire.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (OAuthAspire.sln) was not found.");
    }
}
