using MassTransit;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Messaging;

/// <summary>
/// Names the audit events' exchanges as <see cref="AuditStream"/> fixes them (<c>oauthaspire.audit.&lt;Type&gt;</c>,
/// the base type's <see cref="AuditStream.Exchange"/>) instead of MassTransit's default, the .NET namespace and
/// type name: the AppHost declares those exchanges and grants each service's login exactly those names, so
/// they must not move when code is renamed. Every other message type keeps MassTransit's name.
/// </summary>
internal sealed class AuditExchangeNames(IEntityNameFormatter fallback) : IEntityNameFormatter
{
    public string FormatEntityName<T>() =>
        typeof(T) == typeof(AuditEvent) ? AuditStream.Exchange
        : typeof(T).IsSubclassOf(typeof(AuditEvent)) ? AuditStream.EventExchange(typeof(T).Name)
        : fallback.FormatEntityName<T>();
}
