using System.Globalization;
using System.Text.Json;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Admin;
using static OAuthAspire.Contracts.Audit.AuditJson;
using static OAuthAspire.Contracts.Audit.AuditStream;

namespace OAuthAspire.AuditLog.Events;

/// <summary>
/// One audit event as the query API shows it: where it sits in the stream, the envelope, who acted,
/// and the event's own fields (<c>data</c>, as in the event's JSON schema: <c>/audit/schemas</c>).
/// </summary>
public sealed record AuditEventDto(long Position, DateTimeOffset OccurredAt, string Service, string Type, string Outcome,
    string? ClientId, string? UserId, string? UserName, string? RemoteAddress, string? Reason, string? TraceId, JsonElement Data);

/// <summary><c>/api/admin/audit/events</c>: recent audit events for auditors, newest first, filtered and paged by keyset.</summary>
public static class AuditQueryEndpoints
{
    private static readonly HashSet<string> Outcomes = new(Enum.GetNames<AuditOutcome>(), StringComparer.OrdinalIgnoreCase);

    public static IEndpointRouteBuilder MapAuditQueryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var audit = endpoints.MapAuditGroup("Audit");
        audit.MapGet("/events", ListAsync).WithSummary("List recent audit events, newest first (the auditor role)")
            .Produces<KeysetPage<AuditEventDto>>().ProducesValidationProblem();
        return endpoints;
    }

    /// <param name="client">Only events naming this client, as the one acting or the one acted on.</param>
    /// <param name="user">Only events naming this user (user name, ignoring case, or user id), acting or acted on.</param>
    /// <param name="type">Only this event type (e.g. <c>TokenIssued</c>).</param>
    /// <param name="outcome"><c>success</c> or <c>failure</c>.</param>
    /// <param name="service">Only the events this service wrote.</param>
    /// <param name="after">The previous page's <c>next</c>.</param>
    /// <param name="limit">1-200, default 50.</param>
    private static async Task<IResult> ListAsync(string? client, string? user, string? type, string? outcome, string? service, string? after, int? limit,
        AuditEventStore store, CancellationToken cancellationToken)
    {
        var errors = new Validation();
        if (outcome is not null && !Outcomes.Contains(outcome))
        {
            errors.Add("outcome", "must be success or failure");
        }

        if (type is not null && !AuditCatalog.Types.ContainsKey(type))
        {
            errors.Add("type", "must be an audit event type (docs/AUDIT-EVENTS.md lists them)");
        }

        long? before = null;
        if (!KeysetCursor.TryDecode(after, out var cursor) || !TryPosition(cursor, out before))
        {
            errors.Add("after", "must be the next value of a previous page");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.Errors);
        }

        var take = Paging.From(0, limit).Limit;
        var rows = await store.FindAsync(new AuditFilter(Blank(client), Blank(user), type, outcome?.ToLowerInvariant(), Blank(service), before, take), cancellationToken);
        var items = rows.Take(take).Select(ToDto).ToList();
        var next = rows.Count > take ? new KeysetCursor(items[^1].OccurredAt.UtcDateTime, items[^1].Position.ToString(CultureInfo.InvariantCulture)).Encode() : null;
        return TypedResults.Ok(new KeysetPage<AuditEventDto>(items, next));
    }

    /// <summary>The cursor's position (its id); none without a cursor.</summary>
    private static bool TryPosition(KeysetCursor? cursor, out long? position)
    {
        position = null;
        if (cursor is not { } c)
        {
            return true;
        }

        var parsed = long.TryParse(c.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var value);
        position = value;
        return parsed;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static AuditEventDto ToDto(AuditRow row)
    {
        using var document = JsonDocument.Parse(row.Data);
        var e = document.RootElement;
        var actor = Actor(e);
        return new AuditEventDto(row.Position, row.OccurredAt, row.Service, row.Type, row.Outcome,
            ClientOf(e), Text(actor, Fields.UserId), Text(actor, Fields.UserName),
            Text(e, Fields.RemoteAddress), Text(e, Fields.Reason), Text(e, Fields.TraceId), OwnFields(e));
    }

    /// <summary>The event's own fields: everything but the envelope's.</summary>
    private static JsonElement OwnFields(JsonElement e)
    {
        var own = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in e.EnumerateObject().Where(p => !Fields.Common.Contains(p.Name)))
        {
            own[property.Name] = property.Value.Clone();
        }

        return JsonSerializer.SerializeToElement(own);
    }
}
