using System.Collections.Frozen;

namespace OAuthAspire.Contracts.Audit;

/// <summary>Every audit event type, by its <see cref="AuditEvent.Type"/> name.</summary>
public static class AuditCatalog
{
    public static readonly FrozenDictionary<string, Type> Types = typeof(AuditEvent).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsClass: true } && t.IsSubclassOf(typeof(AuditEvent)))
        .ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    public static Type? Resolve(string typeName) => Types.GetValueOrDefault(typeName);
}
