using System.Text.Json;
using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Messaging;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// What auditors rely on is a wire contract: the stream's and exchanges' names and the envelope's
/// fields. They are spelled out literally here, so a rename in code (a namespace, a type, a property)
/// that would move them fails a test instead of silently cutting auditors off.
/// </summary>
public sealed class AuditExchangeNamesTests
{
    private static readonly IEntityNameFormatter Names = new AuditExchangeNames(new MassTransitsOwn());

    [Fact]
    public void TheStreamAndTheExchangesHaveFixedNames()
    {
        Assert.Equal("oauthaspire.audit", AuditStream.StreamName);
        Assert.Equal("oauthaspire.audit.all", AuditStream.Exchange);
        Assert.Equal("oauthaspire.audit.TokenIssued", AuditStream.EventExchange(nameof(TokenIssued)));
        Assert.Equal("oauthaspire.audit.from.token", AuditStream.ServiceExchange("token"));
    }

    [Fact]
    public void EveryEventIsPublishedToItsOwnFixedExchangeAndTheBaseTypeNamesTheExchangeOfAll()
    {
        Assert.Equal("oauthaspire.audit.ClientUpdated", Names.FormatEntityName<ClientUpdated>());
        Assert.Equal("oauthaspire.audit.all", Names.FormatEntityName<AuditEvent>());
        var format = typeof(IEntityNameFormatter).GetMethod(nameof(IEntityNameFormatter.FormatEntityName))!;
        foreach (var (name, type) in AuditCatalog.Types)
        {
            Assert.Equal(AuditStream.EventExchange(name), format.MakeGenericMethod(type).Invoke(Names, null));
        }
    }

    [Fact]
    public void AnyOtherMessageKeepsMassTransitsName() =>
        Assert.Equal("MassTransit's own", Names.FormatEntityName<NotAnEvent>());

    [Fact]
    public void TheEnvelopeFieldsAreThoseEveryEventCarriesOnTheWire()
    {
        string[] fields = ["eventId", "type", "version", "occurredAt", "service", "traceId", "actor", "remoteAddress", "outcome", "reason"];
        Assert.Equal(fields.Order(StringComparer.Ordinal).ToArray(), AuditStream.Fields.Common.Order(StringComparer.Ordinal).ToArray());
        // The base record's properties, camelCase as MassTransit writes the message and the outbox stores it.
        Assert.Equal(fields.Order(StringComparer.Ordinal).ToArray(),
            typeof(AuditEvent).GetProperties().Where(p => !p.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), true))
                .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).Order(StringComparer.Ordinal).ToArray());

        AuditEvent sample = new InternalCallRefused("edge", "m", "p") { Actor = AuditActor.User("u-1", "ada", "app") };
        var json = JsonSerializer.SerializeToElement(sample, sample.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.All(fields, field => Assert.True(json.TryGetProperty(field, out _), $"no {field}"));
        var actor = json.GetProperty(AuditStream.Fields.Actor);
        Assert.Equal("u-1", actor.GetProperty(AuditStream.Fields.UserId).GetString());
        Assert.Equal("ada", actor.GetProperty(AuditStream.Fields.UserName).GetString());
        Assert.Equal("app", actor.GetProperty(AuditStream.Fields.ClientId).GetString());
    }

    private sealed record NotAnEvent;

    private sealed class MassTransitsOwn : IEntityNameFormatter
    {
        public string FormatEntityName<T>() => "MassTransit's own";
    }
}
