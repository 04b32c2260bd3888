using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Protocol.Tests.Audit;

/// <summary>
/// The OCSF 1.3.0 mapping of audit events (tools/AuditTail/OcsfMapper.cs, docs/OCSF.md): every event type
/// has a class and activity of its own, each output carries what its class requires, and nothing the
/// event says is lost. Inputs are CloudEvents built here by hand, as the stream carries them.
/// </summary>
public partial class OcsfMapperTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string TraceParent = $"00-{TraceId}-00f067aa0ba902b7-01";

    private static readonly DateTimeOffset When = new(2026, 12, 1, 10, 0, 0, 123, TimeSpan.Zero);

    [GeneratedRegex(@"^\| `(?<type>\w+)` \| (?<class>\d+) [^|]*\| (?<activity>\d+) [^|]*\| (?<typeUid>\d+) \|")]
    private static partial Regex DocumentedRow();

    [Fact]
    public void EveryAuditEventTypeHasAMappingOfItsOwnOrIsSkipped()
    {
        var withoutMapping = AuditCatalog.Types.Keys
            .Where(t => !OcsfMapper.MappedTypes.Contains(t) && !OcsfMapper.SkippedTypes.Contains(t))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var stale = OcsfMapper.MappedTypes.Concat(OcsfMapper.SkippedTypes).Where(t => !AuditCatalog.Types.ContainsKey(t)).ToArray();
        Assert.Empty(withoutMapping);
        Assert.Empty(stale);
        Assert.Contains("ChainCheckpoint", OcsfMapper.SkippedTypes);
    }

    [Fact]
    public void EveryAuditEventMapsToItsClassWithWhatTheClassRequiresEvenWithEveryFieldNull()
    {
        foreach (var type in AuditCatalog.Types.Values)
        {
            var ocsf = OcsfMapper.ToOcsf(CloudEvent(Sample(type, filled: false)));
            if (OcsfMapper.SkippedTypes.Contains(type.Name))
            {
                Assert.Null(ocsf);
                continue;
            }

            Assert.NotNull(ocsf);
            var json = JsonSerializer.SerializeToElement(ocsf);
            var (classUid, activityId) = OcsfMapper.Classify(type.Name) ?? default;
            Assert.Equal(classUid, Num(json, "class_uid"));
            Assert.Equal(activityId, Num(json, "activity_id"));
            AssertValid(json, type.Name);
        }
    }

    [Fact]
    public void NoFieldOfAnyAuditEventIsLost()
    {
        foreach (var type in AuditCatalog.Types.Values.Where(t => !OcsfMapper.SkippedTypes.Contains(t.Name)))
        {
            var ocsf = OcsfMapper.ToOcsf(CloudEvent(Sample(type, filled: true)));
            Assert.NotNull(ocsf);
            var text = ocsf.ToJsonString();
            // Every string the record was given (its own fields, each a distinct value) is somewhere in the output
            // (the text names the event in metadata.event_code).
            foreach (var parameter in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters())
            {
                if (parameter.ParameterType == typeof(string) || parameter.ParameterType == typeof(IReadOnlyList<string>))
                {
                    Assert.Contains($"\"{Value(parameter.Name!)}\"", text);
                }
            }
        }
    }

    [Fact]
    public void ATokenIssuedIsAnAuthenticationServiceTicketRequestAtTheCloudEventsTime()
    {
        var issued = new TokenIssued("app1", "client_credentials", "app1", ["a"], "abc", When.AddMinutes(5))
        {
            OccurredAt = When,
            Service = "token",
            TraceId = TraceId,
            Actor = AuditActor.Client("app1"),
            RemoteAddress = "127.0.0.1",
        };
        var cloudEvent = CloudEvent(issued);
        var ocsf = Map(cloudEvent);

        Assert.Equal((3002, 4), OcsfMapper.Classify("TokenIssued") ?? default);
        Assert.Equal(3002, Num(ocsf, "class_uid"));
        Assert.Equal("Authentication", Str(ocsf, "class_name"));
        Assert.Equal(3, Num(ocsf, "category_uid"));
        Assert.Equal("Identity & Access Management", Str(ocsf, "category_name"));
        Assert.Equal(4, Num(ocsf, "activity_id"));
        Assert.Equal("Service Ticket Request", Str(ocsf, "activity_name"));
        Assert.Equal(300204, Num(ocsf, "type_uid"));
        Assert.Equal("Authentication: Service Ticket Request", Str(ocsf, "type_name"));
        var time = DateTimeOffset.Parse(cloudEvent.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(time.ToUnixTimeMilliseconds(), Num(ocsf, "time"));
        Assert.Equal(When.ToUnixTimeMilliseconds(), Num(ocsf, "time"));
        Assert.Equal(1, Num(ocsf, "status_id"));
        Assert.Equal("Success", Str(ocsf, "status"));
        Assert.Equal(1, Num(ocsf, "severity_id"));

        Assert.Equal(OcsfMapper.SchemaVersion, Str(ocsf, "metadata.version"));
        Assert.Equal("1.3.0", OcsfMapper.SchemaVersion);
        Assert.Equal(issued.EventId.ToString(), Str(ocsf, "metadata.uid"));
        Assert.Equal("OAuthAspire", Str(ocsf, "metadata.product.name"));
        Assert.Equal("token", Str(ocsf, "metadata.product.feature.name"));
        Assert.Equal("com.oauthaspire.audit.TokenIssued.v1", Str(ocsf, "metadata.log_name"));
        Assert.Equal("TokenIssued", Str(ocsf, "metadata.event_code"));
        Assert.Equal(TraceId, Str(ocsf, "metadata.correlation_uid"));

        Assert.Equal("app1", Str(ocsf, "actor.app_uid"));
        Assert.Equal("127.0.0.1", Str(ocsf, "src_endpoint.ip"));
        Assert.Equal("app1", Str(ocsf, "user.uid"));
        Assert.Equal("app1", Str(ocsf, "service.name"));
        Assert.Equal(6, Num(ocsf, "auth_protocol_id"));
        Assert.Equal("OAUTH 2.0", Str(ocsf, "auth_protocol"));
        Assert.Equal("client_credentials", Str(ocsf, "logon_type"));

        // The token's own fields and the chain's are kept; what is mapped is not repeated.
        Assert.Equal("abc", Str(ocsf, "unmapped.jti"));
        Assert.Equal("a", At(ocsf, "unmapped.scopes")[0].GetString());
        Assert.Equal(JsonValueKind.String, At(ocsf, "unmapped.expiresAt").ValueKind);
        Assert.Equal("token-1a2b3c-0", Str(ocsf, "unmapped.cloudevent.chain"));
        Assert.Equal("17", Str(ocsf, "unmapped.cloudevent.chainpos"));
        string[] mappedFields = ["eventId", "type", "version", "occurredAt", "service", "traceId", "actor", "remoteAddress", "outcome",
            "clientId", "grantType", "subject"];
        foreach (var mapped in mappedFields)
        {
            Assert.Equal(JsonValueKind.Undefined, At(ocsf, "unmapped." + mapped).ValueKind);
        }

        AssertValid(ocsf, "TokenIssued");
    }

    [Fact]
    public void AFailedSignInIsAFailedLogonWithItsReasonAndNoMadeUpUser()
    {
        var failed = new LoginFailed(null, null, "app1")
        {
            OccurredAt = When,
            Service = "authorize",
            Outcome = AuditOutcome.Failure,
            Reason = "unknown user",
            RemoteAddress = "2001:db8::1",
        };
        var ocsf = Map(CloudEvent(failed));

        Assert.Equal(3002, Num(ocsf, "class_uid"));
        Assert.Equal(1, Num(ocsf, "activity_id"));
        Assert.Equal(300201, Num(ocsf, "type_uid"));
        Assert.Equal(2, Num(ocsf, "status_id"));
        Assert.Equal("Failure", Str(ocsf, "status"));
        Assert.Equal("unknown user", Str(ocsf, "status_detail"));
        Assert.Equal(3, Num(ocsf, "severity_id"));
        Assert.Equal(4, Num(ocsf, "auth_protocol_id")); // the OpenID Provider's own sign-in
        Assert.Equal("(unknown)", Str(ocsf, "user.name")); // not the client
        Assert.Equal("app1", Str(ocsf, "service.name"));
        Assert.Equal("2001:db8::1", Str(ocsf, "src_endpoint.ip"));
        AssertValid(ocsf, "LoginFailed");
    }

    [Fact]
    public void ARefusedApiCallIsApiActivityWhoseActivityIsItsHttpMethod()
    {
        var denied = new ApiAccessDenied("DELETE", "/api/orders/7", ["orders.write"], "orders")
        {
            OccurredAt = When,
            Service = "edge",
            Outcome = AuditOutcome.Failure,
            Reason = "insufficient_scope",
            Actor = AuditActor.User("u1", "jane", "app1"),
            RemoteAddress = "10.0.0.5",
        };
        var ocsf = Map(CloudEvent(denied));

        Assert.Equal((6003, 99), OcsfMapper.Classify("ApiAccessDenied") ?? default);
        Assert.Equal(6003, Num(ocsf, "class_uid"));
        Assert.Equal(6, Num(ocsf, "category_uid"));
        Assert.Equal("Application Activity", Str(ocsf, "category_name"));
        Assert.Equal(4, Num(ocsf, "activity_id"));
        Assert.Equal(600304, Num(ocsf, "type_uid"));
        Assert.Equal("DELETE /api/orders/7", Str(ocsf, "api.operation"));
        Assert.Equal("edge", Str(ocsf, "api.service.name"));
        Assert.Equal("DELETE", Str(ocsf, "http_request.http_method"));
        Assert.Equal("/api/orders/7", Str(ocsf, "http_request.url.path"));
        Assert.Equal("u1", Str(ocsf, "actor.user.uid"));
        Assert.Equal("jane", Str(ocsf, "actor.user.name"));
        Assert.Equal("app1", Str(ocsf, "actor.app_uid"));
        Assert.Equal("10.0.0.5", Str(ocsf, "src_endpoint.ip"));
        Assert.Equal("orders", Str(ocsf, "unmapped.policy"));
        Assert.Equal("orders.write", At(ocsf, "unmapped.requiredScopes")[0].GetString());
        AssertValid(ocsf, "ApiAccessDenied");
    }

    [Theory]
    [InlineData("POST", 1)]
    [InlineData("GET", 2)]
    [InlineData("HEAD", 2)]
    [InlineData("PUT", 3)]
    [InlineData("PATCH", 3)]
    [InlineData("DELETE", 4)]
    [InlineData("OPTIONS", 99)]
    public void ARefusedAdminCallsActivityIsItsMethodsVerb(string method, int activity)
    {
        var refused = new AdminAccessRefused(method, "/admin/clients", 403) { OccurredAt = When, Service = "edge", Outcome = AuditOutcome.Failure };
        var ocsf = Map(CloudEvent(refused));

        Assert.Equal(activity, Num(ocsf, "activity_id"));
        Assert.Equal("403", Str(ocsf, "status_code"));
        // Neither an actor nor an address: API Activity requires both, so they are filled, not left out.
        Assert.Equal("(unknown)", Str(ocsf, "actor.app_name"));
        Assert.Equal("(unknown)", Str(ocsf, "src_endpoint.name"));
        AssertValid(ocsf, "AdminAccessRefused");
    }

    [Fact]
    public void AClientCreatedIsEntityManagementOfTheClient()
    {
        var created = new ClientCreated("app1", "App One", false, ["client_credentials"], ["a"], [], [], 3)
        {
            OccurredAt = When,
            Service = "client-registry",
            Actor = AuditActor.User("admin-1", "admin"),
        };
        var ocsf = Map(CloudEvent(created));

        Assert.Equal(3004, Num(ocsf, "class_uid"));
        Assert.Equal(1, Num(ocsf, "activity_id"));
        Assert.Equal(300401, Num(ocsf, "type_uid"));
        Assert.Equal("app1", Str(ocsf, "entity.uid"));
        Assert.Equal("App One", Str(ocsf, "entity.name"));
        Assert.Equal("oauth_client", Str(ocsf, "entity.type"));
        Assert.Equal("3", Str(ocsf, "entity.version"));
        Assert.Equal("admin", Str(ocsf, "actor.user.name"));
        Assert.Equal("client_credentials", At(ocsf, "unmapped.grantTypes")[0].GetString());
        Assert.Equal(JsonValueKind.False, At(ocsf, "unmapped.public").ValueKind);
        AssertValid(ocsf, "ClientCreated");
    }

    [Fact]
    public void AUserDeletedIsAnAccountChangeDelete()
    {
        var deleted = new UserDeleted("u42", "jane") { OccurredAt = When, Service = "directory", Actor = AuditActor.User("admin-1", "admin") };
        var ocsf = Map(CloudEvent(deleted));

        Assert.Equal((3001, 6), OcsfMapper.Classify("UserDeleted") ?? default);
        Assert.Equal(3001, Num(ocsf, "class_uid"));
        Assert.Equal("Account Change", Str(ocsf, "class_name"));
        Assert.Equal(6, Num(ocsf, "activity_id"));
        Assert.Equal("Delete", Str(ocsf, "activity_name"));
        Assert.Equal(300106, Num(ocsf, "type_uid"));
        Assert.Equal("u42", Str(ocsf, "user.uid"));
        Assert.Equal("jane", Str(ocsf, "user.name"));
        Assert.Equal("admin-1", Str(ocsf, "actor.user.uid"));
        AssertValid(ocsf, "UserDeleted");
    }

    [Fact]
    public void APasswordSetByTheAdministratorIsAPasswordResetAnyOtherUserUpdateIsOther()
    {
        var reset = Map(CloudEvent(new UserUpdated("u42", "jane", ["user"], true, PasswordChanged: true) { OccurredAt = When, Service = "directory" }));
        var other = Map(CloudEvent(new UserUpdated("u42", "jane", ["user", "admin"], true, PasswordChanged: false) { OccurredAt = When, Service = "directory" }));

        Assert.Equal(4, Num(reset, "activity_id"));
        Assert.Equal("Password Reset", Str(reset, "activity_name"));
        Assert.Equal(99, Num(other, "activity_id"));
        Assert.Equal(300199, Num(other, "type_uid"));
        Assert.Equal("admin", At(other, "unmapped.roles")[1].GetString());
    }

    [Fact]
    public void AConsentIsUserAccessManagementOfTheScopesOnTheClient()
    {
        var granted = Map(CloudEvent(new ConsentGranted("u42", "jane", "app1", ["openid", "orders.read"], Remembered: true) { OccurredAt = When, Service = "authorize" }));
        var revoked = Map(CloudEvent(new ConsentRevoked("u42", "jane", "app1") { OccurredAt = When, Service = "authorize" }));

        Assert.Equal(3005, Num(granted, "class_uid"));
        Assert.Equal(1, Num(granted, "activity_id"));
        Assert.Equal(300501, Num(granted, "type_uid"));
        Assert.Equal("u42", Str(granted, "user.uid"));
        Assert.Equal(new[] { "openid", "orders.read" }, At(granted, "privileges").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("app1", Str(granted, "resource.uid"));
        Assert.Equal(JsonValueKind.True, At(granted, "unmapped.remembered").ValueKind);
        Assert.Equal(2, Num(revoked, "activity_id"));
        Assert.Equal("*", At(revoked, "privileges")[0].GetString());
        AssertValid(granted, "ConsentGranted");
        AssertValid(revoked, "ConsentRevoked");
    }

    [Fact]
    public void TokensCutOffForAClientNameTheClientAsTheUserWhoseAccessEnds()
    {
        var ocsf = Map(CloudEvent(new TokensCutOff("client", "app1", When) { OccurredAt = When, Service = "client-registry", Reason = "client deactivated" }));

        Assert.Equal((3005, 2), OcsfMapper.Classify("TokensCutOff") ?? default);
        Assert.Equal("app1", Str(ocsf, "user.uid"));
        Assert.Equal("OAuth client", Str(ocsf, "user.type"));
        Assert.Equal("client deactivated", Str(ocsf, "status_detail"));
        Assert.Equal(JsonValueKind.String, At(ocsf, "unmapped.issuedBefore").ValueKind);
        AssertValid(ocsf, "TokensCutOff");
    }

    [Fact]
    public void AReplayedRefreshTokenIsAHighSeverityRenewalOfItsFamily()
    {
        var familyId = Guid.Parse("0193a1b2-0000-7000-8000-0000000000aa");
        var reuse = new RefreshTokenReuseDetected("app1", "u42", familyId, ["j1", "j2"]) { OccurredAt = When, Service = "token", Outcome = AuditOutcome.Failure };
        var ocsf = Map(CloudEvent(reuse));

        Assert.Equal(5, Num(ocsf, "activity_id"));
        Assert.Equal(4, Num(ocsf, "severity_id"));
        Assert.Equal("High", Str(ocsf, "severity"));
        Assert.Equal(familyId.ToString(), Str(ocsf, "session.uid"));
        Assert.Equal("u42", Str(ocsf, "user.uid"));
        Assert.Equal("j2", At(ocsf, "unmapped.revokedJtis")[1].GetString());
    }

    [Fact]
    public void RepeatedRefusalsAreCountedInTheClassOfTheRefusalThatRepeated()
    {
        var repeats = new RefusalsRepeated("TokenRequestRefused", 41, When, When.AddMinutes(1))
        {
            OccurredAt = When.AddMinutes(1),
            Service = "token",
            Outcome = AuditOutcome.Failure,
            Reason = "client authentication failed",
            Actor = AuditActor.Client("app1"),
            RemoteAddress = "10.0.0.9",
        };
        var ocsf = Map(CloudEvent(repeats));

        Assert.Equal(3002, Num(ocsf, "class_uid"));
        Assert.Equal(4, Num(ocsf, "activity_id"));
        Assert.Equal(41, Num(ocsf, "count"));
        Assert.Equal(When.ToUnixTimeMilliseconds(), Num(ocsf, "start_time"));
        Assert.Equal(When.AddMinutes(1).ToUnixTimeMilliseconds(), Num(ocsf, "end_time"));
        Assert.Equal("TokenRequestRefused", Str(ocsf, "unmapped.eventType"));
        Assert.Equal("RefusalsRepeated", Str(ocsf, "metadata.event_code"));
        Assert.Equal("app1", Str(ocsf, "user.uid"));
        AssertValid(ocsf, "RefusalsRepeated");
    }

    [Fact]
    public void AnUnknownEventTypeBecomesABaseEventWithEverythingUnmapped()
    {
        var data = new JsonObject
        {
            ["eventId"] = "e1",
            ["type"] = "SomethingNew",
            ["version"] = 2,
            ["occurredAt"] = When.ToString("O", CultureInfo.InvariantCulture),
            ["service"] = "token",
            ["actor"] = new JsonObject { ["userId"] = "u1" },
            ["remoteAddress"] = "10.0.0.1",
            ["outcome"] = "Success",
            ["widget"] = "w1",
        };
        var ocsf = Map(CloudEvent("SomethingNew", data, When, id: "e1"));

        Assert.Equal((0, 99), OcsfMapper.Classify("SomethingNew") ?? default);
        Assert.Equal(0, Num(ocsf, "class_uid"));
        Assert.Equal("Base Event", Str(ocsf, "class_name"));
        Assert.Equal(0, Num(ocsf, "category_uid"));
        Assert.Equal(99, Num(ocsf, "activity_id"));
        Assert.Equal(99, Num(ocsf, "type_uid"));
        Assert.Equal("e1", Str(ocsf, "metadata.uid"));
        Assert.Equal("SomethingNew", Str(ocsf, "metadata.event_code"));
        Assert.Equal("w1", Str(ocsf, "unmapped.widget"));
        Assert.Equal("u1", Str(ocsf, "unmapped.actor.userId"));
        Assert.Equal("10.0.0.1", Str(ocsf, "unmapped.remoteAddress"));
        AssertValid(ocsf, "SomethingNew");
    }

    [Fact]
    public void WhatIsNoAuditEventAtAllDoesNotThrow()
    {
        Assert.Null(OcsfMapper.ToOcsf(default));
        Assert.Null(OcsfMapper.ToOcsf(JsonSerializer.SerializeToElement(42)));
        // No data, or data that is no object: the CloudEvent's own attributes still map.
        var noData = Map(JsonSerializer.SerializeToElement(new JsonObject { ["specversion"] = "1.0", ["type"] = "com.oauthaspire.audit.TokenIssued.v1" }));
        Assert.Equal(3002, Num(noData, "class_uid"));
        Assert.Equal("(unknown)", Str(noData, "user.name"));
        var oddData = Map(CloudEvent("TokenIssued", JsonValue.Create("not an object"), When));
        Assert.Equal(When.ToUnixTimeMilliseconds(), Num(oddData, "time"));
        Assert.Equal(0, Num(oddData, "status_id"));
        Assert.Equal(3002, Num(Map(CloudEvent("TokenIssued", null, When)), "class_uid"));
    }

    [Fact]
    public void AChainCheckpointIsNoSecurityEventAndIsSkipped()
    {
        Assert.False(OcsfMapper.Classify("ChainCheckpoint").HasValue);
        Assert.Null(OcsfMapper.ToOcsf(CloudEvent("ChainCheckpoint", Checkpoint(withType: true), When)));
        // The CloudEvent's type alone says so too.
        Assert.Null(OcsfMapper.ToOcsf(CloudEvent("ChainCheckpoint", Checkpoint(withType: false), When)));
    }

    [Fact]
    public void FieldsNoOcsfAttributeHoldsAreKeptUnderUnmapped()
    {
        var data = JsonSerializer.SerializeToNode(new TokenRevoked("jti-9", "app1", "refresh_token", When.AddDays(1)) { OccurredAt = When, Service = "token" },
            JsonSerializerOptions.Web)!.AsObject();
        data["audience"] = "https://api.example"; // a field added after this mapper was written
        var cloudEvent = JsonNode.Parse(CloudEvent("TokenRevoked", data, When).GetRawText())!.AsObject();
        cloudEvent["partition"] = "p1"; // likewise a CloudEvent extension
        var ocsf = Map(JsonSerializer.SerializeToElement(cloudEvent));

        Assert.Equal(3002, Num(ocsf, "class_uid"));
        Assert.Equal(2, Num(ocsf, "activity_id"));
        Assert.Equal("https://api.example", Str(ocsf, "unmapped.audience"));
        Assert.Equal("jti-9", Str(ocsf, "unmapped.jti"));
        Assert.Equal("refresh_token", Str(ocsf, "unmapped.tokenType"));
        Assert.Equal(JsonValueKind.String, At(ocsf, "unmapped.expiresAt").ValueKind);
        Assert.Equal("p1", Str(ocsf, "unmapped.cloudevent.partition"));
        Assert.Equal(TraceParent, Str(ocsf, "unmapped.cloudevent.traceparent"));
        Assert.Equal("client/app1", Str(ocsf, "unmapped.cloudevent.subject"));
        Assert.Equal(JsonValueKind.Undefined, At(ocsf, "unmapped.cloudevent.specversion").ValueKind);
        Assert.Equal(JsonValueKind.Undefined, At(ocsf, "unmapped.cloudevent.data").ValueKind);
        Assert.Equal(JsonValueKind.Undefined, At(ocsf, "unmapped.reason").ValueKind); // nulls carry nothing
    }

    [Fact]
    public void ABareAuditEventMapsTooItsOwnFieldsStandingInForTheEnvelope()
    {
        var issued = new TokenIssued("app1", "authorization_code", "u42", ["openid"], "abc", When.AddMinutes(5)) { OccurredAt = When, Service = "token", TraceId = TraceId };
        var ocsf = Map(JsonSerializer.SerializeToElement(issued, issued.GetType(), JsonSerializerOptions.Web));

        Assert.Equal(300204, Num(ocsf, "type_uid"));
        Assert.Equal(When.ToUnixTimeMilliseconds(), Num(ocsf, "time"));
        Assert.Equal(issued.EventId.ToString(), Str(ocsf, "metadata.uid"));
        Assert.Equal("TokenIssued", Str(ocsf, "metadata.log_name"));
        Assert.Equal(TraceId, Str(ocsf, "metadata.correlation_uid"));
        Assert.Equal("u42", Str(ocsf, "user.uid"));
        Assert.Equal(JsonValueKind.Undefined, At(ocsf, "unmapped.cloudevent").ValueKind);
        Assert.Equal(JsonValueKind.Undefined, At(ocsf, "unmapped.occurredAt").ValueKind);
    }

    [Fact]
    public void TheDocumentedTableIsTheMapping()
    {
        var rows = File.ReadLines(Path.Combine(Root(), "docs", "OCSF.md"))
            .Select(line => DocumentedRow().Match(line))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["type"].Value, m => (
                int.Parse(m.Groups["class"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["activity"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["typeUid"].Value, CultureInfo.InvariantCulture)));
        foreach (var type in OcsfMapper.MappedTypes)
        {
            Assert.True(rows.TryGetValue(type, out var row), $"docs/OCSF.md has no row for {type}");
            var (classUid, activityId) = OcsfMapper.Classify(type) ?? default;
            Assert.Equal((classUid, activityId, classUid * 100L + activityId), row);
        }

        Assert.Equal(OcsfMapper.MappedTypes.Count, rows.Count);
    }

    /// <summary>A structured CloudEvent as the stream carries it (built by hand: the wire format, not our writer).</summary>
    private static JsonElement CloudEvent(string type, JsonNode? data, DateTimeOffset time, string id = "0193a1b2-0000-7000-8000-000000000001", string service = "token") =>
        JsonSerializer.SerializeToElement(new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = "/oauthaspire/" + service,
            ["type"] = $"com.oauthaspire.audit.{type}.v1",
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["subject"] = "client/app1",
            ["datacontenttype"] = "application/json",
            ["dataschema"] = $"http://localhost:8080/audit/schemas/{type}.v1.json",
            ["traceparent"] = TraceParent,
            ["chain"] = "token-1a2b3c-0",
            ["chainpos"] = "17",
            ["prevhash"] = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
            ["data"] = data,
            ["chainmac"] = "mac",
        });

    /// <summary>An audit record in its CloudEvent: its JSON with System.Text.Json's web defaults, as the writer's.</summary>
    private static JsonElement CloudEvent(AuditEvent auditEvent) =>
        CloudEvent(auditEvent.Type, JsonSerializer.SerializeToNode(auditEvent, auditEvent.GetType(), JsonSerializerOptions.Web),
            auditEvent.OccurredAt, auditEvent.EventId.ToString(), auditEvent.Service);

    private static JsonObject Checkpoint(bool withType)
    {
        var data = new JsonObject { ["chain"] = "token-1a2b3c-0", ["position"] = 17, ["head"] = "h", ["signature"] = "s", ["final"] = false };
        if (withType)
        {
            data["type"] = "ChainCheckpoint";
        }

        return data;
    }

    /// <summary>The record with every constructor argument null or zero, or (filled) a distinct value for each string and list.</summary>
    private static AuditEvent Sample(Type type, bool filled)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters().Select(p =>
            filled && p.ParameterType == typeof(string) ? Value(p.Name!)
            : filled && p.ParameterType == typeof(IReadOnlyList<string>) ? new[] { Value(p.Name!) }
            : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
        return (AuditEvent)constructor.Invoke(arguments);
    }

    private static string Value(string parameter) => $"{parameter}-value";

    private static JsonElement Map(JsonElement cloudEvent)
    {
        var ocsf = OcsfMapper.ToOcsf(cloudEvent);
        Assert.NotNull(ocsf);
        return JsonSerializer.SerializeToElement(ocsf);
    }

    /// <summary>What OCSF 1.3.0 requires of every event, and of each class the mapping uses.</summary>
    private static void AssertValid(JsonElement ocsf, string because)
    {
        var classUid = Num(ocsf, "class_uid");
        var activityId = Num(ocsf, "activity_id");
        Assert.Equal(classUid * 100 + activityId, Num(ocsf, "type_uid"));
        Assert.Equal(classUid / 1000, Num(ocsf, "category_uid"));
        Assert.NotEqual("Unknown", Str(ocsf, "activity_name"));
        Assert.Equal($"{Str(ocsf, "class_name")}: {Str(ocsf, "activity_name")}", Str(ocsf, "type_name"));
        Assert.True(Num(ocsf, "time") > 0, because);
        Assert.Contains(Num(ocsf, "severity_id"), new long[] { 1, 3, 4 });
        Assert.Contains(Num(ocsf, "status_id"), new long[] { 0, 1, 2, 99 });
        Assert.Equal(OcsfMapper.SchemaVersion, Str(ocsf, "metadata.version"));
        Assert.Equal("OAuthAspire", Str(ocsf, "metadata.product.vendor_name"));
        switch (classUid)
        {
            case 0:
                break;
            case 3001:
                Assert.True(NamesOrIdentifies(ocsf, "user"), because);
                break;
            case 3002:
                Assert.True(NamesOrIdentifies(ocsf, "user"), because);
                Assert.True(At(ocsf, "service.name").ValueKind == JsonValueKind.String || At(ocsf, "dst_endpoint.svc_name").ValueKind == JsonValueKind.String, because);
                break;
            case 3004:
                Assert.True(NamesOrIdentifies(ocsf, "entity"), because);
                break;
            case 3005:
                Assert.True(NamesOrIdentifies(ocsf, "user"), because);
                Assert.NotEmpty(At(ocsf, "privileges").EnumerateArray());
                break;
            case 6003:
                Assert.NotNull(Str(ocsf, "api.operation"));
                Assert.True(IsFilledObject(At(ocsf, "actor")), because);
                Assert.True(IsFilledObject(At(ocsf, "src_endpoint")), because);
                break;
            default:
                Assert.Fail($"{because}: class {classUid} is none of the mapping's");
                break;
        }
    }

    private static bool NamesOrIdentifies(JsonElement ocsf, string path) =>
        At(ocsf, path + ".name").ValueKind == JsonValueKind.String || At(ocsf, path + ".uid").ValueKind == JsonValueKind.String;

    private static bool IsFilledObject(JsonElement json) => json.ValueKind == JsonValueKind.Object && json.EnumerateObject().Any();

    /// <summary>The value at a dotted path (<c>metadata.product.name</c>); Undefined when absent.</summary>
    private static JsonElement At(JsonElement json, string path)
    {
        foreach (var name in path.Split('.'))
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(name, out json))
            {
                return default;
            }
        }

        return json;
    }

    private static string? Str(JsonElement json, string path) => At(json, path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static long Num(JsonElement json, string path) => At(json, path).GetInt64();

    private static string Root()
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
