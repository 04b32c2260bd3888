using System.Text.RegularExpressions;
using OAuthAspire.AppHost.Infrastructure;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Each service's broker login may write only the event exchanges the AppHost's table grants it: an
/// event the code publishes but the table does not list would be refused by RabbitMQ and wait in the
/// outbox for ever. So the table is checked against the code, service by service.
/// </summary>
public sealed partial class BrokerPermissionsTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, ".."));

    private static readonly (string Directory, string Service)[] Services =
    [
        ("services/Edge", "edge"), ("services/Authorize", "authorize"), ("services/Token", "token"),
        ("services/ClientRegistry", "client-registry"), ("services/FederationTrust", "federation-trust"), ("services/ScopePolicy", "scope-policy"),
        ("services/Directory", "directory"), ("services/AuditLog", "audit-log"),
    ];

    [GeneratedRegex(@"new\s+(\w+)\s*\(")]
    private static partial Regex Construction();

    // A hand-written consumer, or a cache invalidation rule (run by the generic CacheInvalidationConsumer).
    [GeneratedRegex(@"(?:IConsumer|InvalidateOn)<(\w+)>")]
    private static partial Regex Consumer();

    private static IEnumerable<string> Found(string directory, Regex pattern) =>
        Directory.EnumerateFiles(Path.Combine(Root, directory), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .SelectMany(f => pattern.Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Where(AuditCatalog.Types.ContainsKey)
            .Distinct();

    [Fact]
    public void EveryEventAServiceWritesIsOneItsLoginMayPublish()
    {
        var shared = Found("ServiceDefaults", Construction()).ToArray();
        Assert.Contains("InternalCallRefused", shared);
        foreach (var (directory, service) in Services)
        {
            var published = BrokerPermissions.PublishedBy(service);
            var missing = Found(directory, Construction()).Concat(shared).Where(e => !published.Contains(e)).ToArray();
            Assert.True(missing.Length == 0, $"{service} writes {string.Join(", ", missing)} but its login may not publish them");
        }
    }

    [Fact]
    public void EveryEventAServiceConsumesIsOneItsLoginMayRead()
    {
        foreach (var (directory, service) in Services)
        {
            var consumed = BrokerPermissions.ConsumedBy(service).Concat(BrokerPermissions.PublishedBy(service)).ToHashSet();
            var missing = Found(directory, Consumer()).Where(e => !consumed.Contains(e)).ToArray();
            Assert.True(missing.Length == 0, $"{service} consumes {string.Join(", ", missing)} but its login may not read them");
        }
    }

    [Fact]
    public void TheRelayPublishesInsideExactlyTheEventsSomeServiceConsumes()
    {
        // An event consumed in code but not in ConsumedInside would never reach its consumer: only the stream gets it.
        var inCode = Services.SelectMany(s => Found(s.Directory, Consumer())).Concat(Found("ServiceDefaults", Consumer())).ToHashSet();
        var missing = inCode.Where(e => !AuditStream.ConsumedInside.Contains(e)).ToArray();
        Assert.True(missing.Length == 0, $"consumed but not published inside: {string.Join(", ", missing)}");
        var granted = Services.SelectMany(s => BrokerPermissions.ConsumedBy(s.Service)).ToHashSet();
        Assert.Equal(granted.Order(StringComparer.Ordinal), AuditStream.ConsumedInside.Order(StringComparer.Ordinal));
    }
}
