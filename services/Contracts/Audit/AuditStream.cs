using System.Collections.Frozen;

namespace OAuthAspire.Contracts.Audit;

/// <summary>
/// The auditors' contract on the broker, written once: where audit events travel and the names of
/// the fields an auditor reads. These are wire names, fixed here on purpose: they never follow a .NET
/// type or namespace name, so renaming code cannot silently move the events away from auditors (or
/// from the broker permissions built on them).
/// </summary>
public static class AuditStream
{
    /// <summary>The stream queue auditors read (the AppHost's <c>Audit:Stream:Name</c> unless configured otherwise).</summary>
    public const string StreamName = "oauthaspire.audit";

    /// <summary>
    /// The fanout exchange every audit event reaches, bound to the stream. Only the AppHost (the
    /// broker's administrator) declares and binds it; no service may write it.
    /// </summary>
    public const string Exchange = "oauthaspire.audit.all";

    /// <summary>
    /// What each event type's own fanout exchange is named: this, then the type's name (<see cref="AuditEvent.Type"/>).
    /// MassTransit publishes there, for the services that act on an event (<see cref="ConsumedInsideAttribute"/>);
    /// those exchanges do not feed the stream.
    /// </summary>
    public const string EventExchangePrefix = "oauthaspire.audit.";

    /// <summary>What each service's own audit exchange is named (this, then the service): bound to <see cref="Exchange"/>, written by that service alone.</summary>
    public const string ServiceExchangePrefix = "oauthaspire.audit.from.";

    /// <summary>
    /// The event types some service acts on (caches dropped, grants revoked): the relay also publishes
    /// these through MassTransit to their type's exchange. Keep in step with the AppHost's BrokerPermissions
    /// (a test compares them).
    /// </summary>
    public static readonly FrozenSet<string> ConsumedInside = new[]
    {
        "TokenRevoked", "TokensCutOff", "ClientCreated", "ClientUpdated", "ClientDeleted", "ClientSecretRotated",
        "ScopeCreated", "ScopeUpdated", "ScopeDeleted", "ApiPolicyCreated", "ApiPolicyUpdated", "ApiPolicyDeleted",
        "TrustCreated", "TrustUpdated", "TrustDeleted", "UserUpdated", "UserDeleted", "ExternalSubjectUnlinked",
        "SigningKeyRotated", "SigningKeyRevoked", "ConsentRevoked", "ClientFirstUsed",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The exchange an event type is published to, e.g. <c>oauthaspire.audit.TokenIssued</c>.</summary>
    public static string EventExchange(string eventType) => EventExchangePrefix + eventType;

    /// <summary>The exchange a service publishes its CloudEvents to, e.g. <c>oauthaspire.audit.from.token</c>.</summary>
    public static string ServiceExchange(string service) => ServiceExchangePrefix + service;

    /// <summary>The fields every event's CloudEvent <c>data</c> carries (those of <see cref="AuditEvent"/>, camelCase on the wire).</summary>
    public static class Fields
    {
        public const string EventId = "eventId";
        public const string Type = "type";
        public const string Version = "version";
        public const string OccurredAt = "occurredAt";
        public const string Service = "service";
        public const string TraceId = "traceId";
        public const string Actor = "actor";
        public const string RemoteAddress = "remoteAddress";
        public const string Outcome = "outcome";
        public const string Reason = "reason";

        /// <summary>Inside <see cref="Actor"/> (<see cref="AuditActor"/>); many events also carry a <c>clientId</c> of their own.</summary>
        public const string UserId = "userId";

        /// <summary>Inside <see cref="Actor"/>.</summary>
        public const string UserName = "userName";

        /// <summary>Inside <see cref="Actor"/>.</summary>
        public const string ClientId = "clientId";

        /// <summary>The envelope: every top-level field common to all events; the rest are the event's own.</summary>
        public static readonly FrozenSet<string> Common = new[]
        {
            EventId, Type, Version, OccurredAt, Service, TraceId, Actor, RemoteAddress, Outcome, Reason,
        }.ToFrozenSet(StringComparer.Ordinal);
    }
}
