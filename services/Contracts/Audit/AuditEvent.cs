using System.Text.Json.Serialization;

namespace OAuthAspire.Contracts.Audit;

/// <summary>
/// Common envelope of every audit event. Concrete events are sealed records deriving from it;
/// MassTransit publishes each to its own exchange, which feeds the exchange of all events and the
/// auditors' stream (names in <see cref="AuditStream"/>). Events never carry a secret, password,
/// token or code: only identifiers.
/// </summary>
public abstract record AuditEvent
{
    /// <summary>Stable id: the outbox row's id and the message id, so consumers can drop repeats.</summary>
    public Guid EventId { get; init; } = Guid.CreateVersion7();

    /// <summary>Short event type name, e.g. <c>TokenIssued</c>.</summary>
    public string Type => GetType().Name;

    /// <summary>Schema version of the concrete event; bumped on any incompatible field change.</summary>
    public virtual int Version => 1;

    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The service that wrote the event (filled by the audit sink).</summary>
    public string Service { get; init; } = "";

    /// <summary>W3C trace id of the request that caused the event (filled by the audit sink).</summary>
    public string? TraceId { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the span that caused the event: the CloudEvent's distributed tracing extension, not a data field.</summary>
    [JsonIgnore]
    public string? TraceParent { get; init; }

    public AuditActor Actor { get; init; } = AuditActor.None;

    public string? RemoteAddress { get; init; }

    public AuditOutcome Outcome { get; init; } = AuditOutcome.Success;

    /// <summary>Why the outcome is what it is (for refusals): free text, so anything credential-shaped is cut out (<see cref="AuditText"/>).</summary>
    public string? Reason { get => _reason; init => _reason = AuditText.Scrub(value); }

    private readonly string? _reason;
}

/// <summary>Who acted: a user, a client, both or neither (the system itself).</summary>
public sealed record AuditActor(string? UserId, string? UserName, string? ClientId)
{
    public static readonly AuditActor None = new(null, null, null);

    public static AuditActor Client(string clientId) => new(null, null, clientId);

    public static AuditActor User(string userId, string userName, string? clientId = null) =>
        new(userId, userName, clientId);
}

[JsonConverter(typeof(JsonStringEnumConverter<AuditOutcome>))]
public enum AuditOutcome
{
    Success,
    Failure,
}
