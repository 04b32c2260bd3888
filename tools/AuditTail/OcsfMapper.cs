using System.Collections.Frozen;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using static OAuthAspire.Contracts.Audit.AuditStream;

namespace OAuthAspire.AuditTail;

/// <summary>
/// Maps audit events (CloudEvents 1.0, structured JSON) to OCSF <see cref="SchemaVersion"/> events for
/// SIEMs that ingest OCSF; docs/OCSF.md is the mapping in prose. Every event type has a fixed class and
/// activity in <see cref="Rules"/>; whatever no OCSF attribute holds goes under <c>unmapped</c>, so
/// nothing is lost. Never throws on an event it does not know: a future type becomes a Base Event.
/// </summary>
public static class OcsfMapper
{
    public const string SchemaVersion = "1.3.0";

    private const string Product = "OAuthAspire";

    // Fills a value OCSF requires when the event does not carry it (a refused sign-in with no known user).
    private const string Unknown = "(unknown)";

    private const string RepeatedRefusals = "RefusalsRepeated";

    private const int BaseEvent = 0, AccountChange = 3001, Authentication = 3002, EntityManagement = 3004, UserAccess = 3005, ApiActivity = 6003;
    private const int Other = 99;

    // Activities, by class.
    private const int Logon = 1, Logoff = 2, AuthenticationTicket = 3, ServiceTicketRequest = 4, ServiceTicketRenew = 5, Preauth = 6;
    private const int AccountCreate = 1, PasswordReset = 4, AccountDelete = 6, Lock = 9;
    private const int Create = 1, Read = 2, Update = 3, Delete = 4, Enroll = 6, Unenroll = 7; // Entity Management; API Activity has 1-4
    private const int AssignPrivileges = 1, RevokePrivileges = 2;

    // auth_protocol_id: the authorization server's own sign-in is the OpenID Provider's; the rest is OAuth.
    private const int OpenId = 4, OAuth2 = 6;

    private const string Iam = "Identity & Access Management";

    // The classes used, with their 1.3.0 activity captions (activity_id n is Activities[n - 1]).
    private static readonly FrozenDictionary<int, OcsfClass> Classes = new Dictionary<int, OcsfClass>
    {
        [BaseEvent] = new("Base Event", 0, "Uncategorized", []),
        [AccountChange] = new("Account Change", 3, Iam, ["Create", "Enable", "Password Change", "Password Reset", "Disable", "Delete",
            "Attach Policy", "Detach Policy", "Lock", "MFA Factor Enable", "MFA Factor Disable"]),
        [Authentication] = new("Authentication", 3, Iam, ["Logon", "Logoff", "Authentication Ticket", "Service Ticket Request",
            "Service Ticket Renew", "Preauth"]),
        [EntityManagement] = new("Entity Management", 3, Iam, ["Create", "Read", "Update", "Delete", "Move", "Enroll", "Unenroll",
            "Enable", "Disable", "Activate", "Deactivate", "Suspend", "Resume"]),
        [UserAccess] = new("User Access Management", 3, Iam, ["Assign Privileges", "Revoke Privileges"]),
        [ApiActivity] = new("API Activity", 6, "Application Activity", ["Create", "Read", "Update", "Delete"]),
    }.ToFrozenDictionary();

    // What Entity Management events manage.
    private static readonly EntityKind Client = new("oauth_client", "clientId", "name", "clientVersion");
    private static readonly EntityKind Scope = new("oauth_scope", "name");
    private static readonly EntityKind ApiPolicy = new("api_policy", "name");
    private static readonly EntityKind Trust = new("federation_trust", "name");
    private static readonly EntityKind RegistrationPolicy = new("registration_policy", "name", Version: "policyVersion");
    private static readonly EntityKind InitialAccessToken = new("initial_access_token", "tokenId");
    private static readonly EntityKind SigningKey = new("signing_key", "kid");

    private static readonly Func<JsonElement, int?> ByMethod = static data => Crud(Text(Property(data, "method")));

    private static readonly FrozenDictionary<string, Rule> Rules = new Dictionary<string, Rule>
    {
        // Sign-in at the authorization server.
        ["LoginSucceeded"] = Auth(Logon, OpenId),
        ["LoginFailed"] = Auth(Logon, OpenId),
        ["SessionEnded"] = Auth(Logoff, OpenId),
        // A password checked, or an external identity taken as a sign-in.
        ["PasswordGrantFailed"] = Auth(Logon),
        ["ExternalTokenAccepted"] = Auth(Logon),
        ["ExternalTokenRefused"] = Auth(Logon),
        ["FederatedSignIn"] = Auth(Logon, OpenId),
        ["FederatedSignInRefused"] = Auth(Logon, OpenId),
        // A token, or a refresh family (the client's lasting session for the user), ends.
        ["TokenRevoked"] = Auth(Logoff),
        ["RefreshFamilyRevoked"] = Auth(Logoff),
        // The user's authentication handed to a client, to trade for tokens.
        ["CodeIssued"] = Auth(AuthenticationTicket),
        ["DeviceAuthorizationApproved"] = Auth(AuthenticationTicket),
        ["DeviceAuthorizationDenied"] = Auth(AuthenticationTicket),
        ["UserCodeRejected"] = Auth(AuthenticationTicket),
        // Tokens asked for: access tokens are the service tickets of resource servers.
        ["TokenIssued"] = Auth(ServiceTicketRequest),
        ["TokenRequestRefused"] = Auth(ServiceTicketRequest),
        ["CodeRedeemed"] = Auth(ServiceTicketRequest),
        ["CodeReplayDetected"] = Auth(ServiceTicketRequest, alert: true),
        ["DeviceCodeRedeemed"] = Auth(ServiceTicketRequest),
        ["DeviceCodeReplayDetected"] = Auth(ServiceTicketRequest, alert: true),
        ["DevicePollingTooFast"] = Auth(ServiceTicketRequest),
        ["ImplicitFlowUsed"] = Auth(ServiceTicketRequest),
        ["JwtBearerTokenIssued"] = Auth(ServiceTicketRequest),
        ["JwtAssertionRefused"] = Auth(ServiceTicketRequest),
        ["ClientAssertionRefused"] = Auth(ServiceTicketRequest),
        ["TokenExchanged"] = Auth(ServiceTicketRequest),
        ["RefreshTokenRotated"] = Auth(ServiceTicketRenew),
        ["RefreshRaceLost"] = Auth(ServiceTicketRenew),
        ["RefreshTokenReuseDetected"] = Auth(ServiceTicketRenew, alert: true),
        // Before anyone authenticates.
        ["AuthorizationRequestRefused"] = Auth(Preauth),
        ["DeviceAuthorizationStarted"] = Auth(Preauth),
        ["DeviceVerificationLocked"] = Auth(Other),
        ["UserCodeGuessingDetected"] = Auth(Other, alert: true),

        ["UserCreated"] = new(AccountChange, AccountCreate),
        ["UserAutoCreated"] = new(AccountChange, AccountCreate),
        // Roles, activation and password may change together; only a password set by the administrator has its own activity.
        ["UserUpdated"] = new(AccountChange, Other, Refine: static data => Property(data, "passwordChanged").ValueKind == JsonValueKind.True ? PasswordReset : null),
        ["UserDeleted"] = new(AccountChange, AccountDelete),
        ["AccountLocked"] = new(AccountChange, Lock),
        ["ExternalSubjectLinked"] = new(AccountChange, Other),
        ["ExternalSubjectUnlinked"] = new(AccountChange, Other),

        ["ClientCreated"] = new(EntityManagement, Create, Client),
        ["ClientUpdated"] = new(EntityManagement, Update, Client),
        ["ClientDeleted"] = new(EntityManagement, Delete, Client),
        ["ClientSecretRotated"] = new(EntityManagement, Update, Client),
        ["ClientFirstUsed"] = new(EntityManagement, Update, Client),
        ["ClientMetadataDocumentFetched"] = new(EntityManagement, Update, Client),
        ["ClientMetadataDocumentRefused"] = new(EntityManagement, Update, Client),
        // Self-registration enrols a client under a policy (its ClientCreated says Create); expiry unenrols it (ClientDeleted follows).
        ["ClientRegistered"] = new(EntityManagement, Enroll, Client),
        ["UnusedClientExpired"] = new(EntityManagement, Unenroll, Client),
        ["ClientRegistrationRefused"] = new(EntityManagement, Create, Client),
        ["ClientRegistrationManaged"] = new(EntityManagement, Update, Client, Refine: ByMethod),
        ["ScopeCreated"] = new(EntityManagement, Create, Scope),
        ["ScopeUpdated"] = new(EntityManagement, Update, Scope),
        ["ScopeDeleted"] = new(EntityManagement, Delete, Scope),
        ["ApiPolicyCreated"] = new(EntityManagement, Create, ApiPolicy),
        ["ApiPolicyUpdated"] = new(EntityManagement, Update, ApiPolicy),
        ["ApiPolicyDeleted"] = new(EntityManagement, Delete, ApiPolicy),
        ["TrustCreated"] = new(EntityManagement, Create, Trust),
        ["TrustUpdated"] = new(EntityManagement, Update, Trust),
        ["TrustDeleted"] = new(EntityManagement, Delete, Trust),
        ["RegistrationPolicySaved"] = new(EntityManagement, Update, RegistrationPolicy),
        ["RegistrationPolicyDeleted"] = new(EntityManagement, Delete, RegistrationPolicy),
        ["InitialAccessTokenCreated"] = new(EntityManagement, Create, InitialAccessToken),
        ["InitialAccessTokenRevoked"] = new(EntityManagement, Delete, InitialAccessToken),
        ["SigningKeyRotated"] = new(EntityManagement, Create, SigningKey),
        ["SigningKeyRevoked"] = new(EntityManagement, Delete, SigningKey, Alert: true),

        ["ConsentGranted"] = new(UserAccess, AssignPrivileges),
        ["ConsentRevoked"] = new(UserAccess, RevokePrivileges),
        ["TokensCutOff"] = new(UserAccess, RevokePrivileges),
        ["TokensRevokedInBulk"] = new(UserAccess, RevokePrivileges),

        // Refused calls: the HTTP method says Create, Read, Update or Delete.
        ["AdminAccessRefused"] = new(ApiActivity, Other, Refine: ByMethod),
        ["ApiAccessDenied"] = new(ApiActivity, Other, Refine: ByMethod),
        ["RateLimited"] = new(ApiActivity, Other, Refine: ByMethod),
        ["RegistrationManagementRefused"] = new(ApiActivity, Other, Refine: ByMethod),
        ["InternalCallRefused"] = new(ApiActivity, Other),
        // Reported in the class of the refusal that repeated, when known (ToOcsf).
        [RepeatedRefusals] = new(ApiActivity, Other),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // An event type this mapper has never heard of: OCSF's class for what no other class defines.
    private static readonly Rule Fallback = new(BaseEvent, Other);

    // Not security events: the signed heads of the audit hash chains, for verifiers only.
    private static readonly FrozenSet<string> Skipped = new[] { "ChainCheckpoint" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every event type with a mapping of its own.</summary>
    public static IReadOnlyCollection<string> MappedTypes => Rules.Keys;

    /// <summary>Event types <see cref="ToOcsf"/> drops (returns null for).</summary>
    public static IReadOnlySet<string> SkippedTypes => Skipped;

    /// <summary>
    /// The OCSF class and activity of an event type (by its short name, e.g. <c>TokenIssued</c>): Base Event
    /// (0, 99 Other) for an unknown type, null for a skipped one. <see cref="ToOcsf"/> may refine the
    /// activity from the event's data (HTTP method, a password change, the refusal that repeated).
    /// </summary>
    public static (int ClassUid, int ActivityId)? Classify(string eventType)
    {
        if (Skipped.Contains(eventType))
        {
            return null;
        }

        var rule = Rules.GetValueOrDefault(eventType, Fallback);
        return (rule.ClassUid, rule.ActivityId);
    }

    /// <summary>
    /// The OCSF event for one audit event: a CloudEvent whose <c>data</c> is the event, or the bare event
    /// (its own fields then stand in for the envelope's). Null for a skipped type or a non-object.
    /// </summary>
    public static JsonObject? ToOcsf(JsonElement cloudEvent)
    {
        if (cloudEvent.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var isCloudEvent = cloudEvent.TryGetProperty("specversion", out _);
        var envelope = new Reader(isCloudEvent ? cloudEvent : default);
        var data = new Reader(isCloudEvent ? envelope.Take("data") : cloudEvent);
        envelope.Skip("specversion", "datacontenttype"); // they only say this is a CloudEvent of JSON

        var logName = Text(envelope.Take("type"));
        var type = data.Text(Fields.Type) ?? TypeName(logName) ?? "";
        if (Skipped.Contains(type))
        {
            return null;
        }

        var rule = Rules.GetValueOrDefault(type, Fallback);
        var isRepeat = type == RepeatedRefusals;
        if (isRepeat && Text(data.Get("eventType")) is { } repeated && repeated != type && Rules.TryGetValue(repeated, out var ofRepeated))
        {
            rule = ofRepeated;
        }

        var activity = rule.Refine?.Invoke(data.Json) ?? rule.ActivityId;
        var cls = Classes[rule.ClassUid];
        var activityName = cls.ActivityName(activity);

        var outcome = data.Text(Fields.Outcome);
        var statusId = outcome is null ? 0
            : outcome.Equals("Success", StringComparison.OrdinalIgnoreCase) ? 1
            : outcome.Equals("Failure", StringComparison.OrdinalIgnoreCase) ? 2
            : Other;
        var status = statusId switch { 0 => "Unknown", 1 => "Success", 2 => "Failure", _ => outcome ?? "" };
        var severityId = rule.Alert ? 4 : statusId == 2 ? 3 : 1;
        var reason = data.Text(Fields.Reason);

        // The envelope's values win; the data's copies of them are mapped only when they agree, else kept in unmapped.
        var occurredAt = Instant(data.Get(Fields.OccurredAt));
        var time = Instant(envelope.Take("time")) ?? occurredAt ?? DateTimeOffset.UtcNow;
        if (occurredAt == time)
        {
            data.Skip(Fields.OccurredAt);
        }

        var uid = Text(envelope.Take("id")) ?? Text(data.Get(Fields.EventId));
        data.TakeIfEqual(Fields.EventId, uid);
        // traceparent stays in unmapped too: OCSF 1.3.0 has no place for its span id.
        var traceId = TraceIdOf(Text(envelope.Get("traceparent"))) ?? Text(data.Get(Fields.TraceId));
        data.TakeIfEqual(Fields.TraceId, traceId);
        var service = data.Text(Fields.Service) is { Length: > 0 } name ? name : null;

        var ocsf = new JsonObject
        {
            ["class_uid"] = rule.ClassUid,
            ["class_name"] = cls.Name,
            ["category_uid"] = cls.CategoryUid,
            ["category_name"] = cls.CategoryName,
            ["activity_id"] = activity,
            ["activity_name"] = activityName,
            ["type_uid"] = rule.ClassUid * 100L + activity,
            ["type_name"] = $"{cls.Name}: {activityName}",
            ["time"] = time.ToUnixTimeMilliseconds(),
            ["severity_id"] = severityId,
            ["severity"] = severityId switch { 4 => "High", 3 => "Medium", _ => "Informational" },
            ["status_id"] = statusId,
            ["status"] = status,
            ["message"] = $"{(type.Length > 0 ? type : "audit event")} {status.ToLowerInvariant()}{(reason is null ? "" : ": " + reason)}",
            ["metadata"] = new JsonObject
            {
                ["version"] = SchemaVersion,
                ["product"] = new JsonObject { ["name"] = Product, ["vendor_name"] = Product }
                    .Put("feature", service is null ? null : new JsonObject { ["name"] = service }),
            }
                .Put("uid", uid)
                .Put("event_code", type.Length > 0 ? type : null)
                .Put("log_name", logName ?? (type.Length > 0 ? type : null))
                .Put("log_provider", Text(envelope.Take("source")))
                .Put("log_version", data.Text(Fields.Version))
                .Put("correlation_uid", traceId),
        };
        ocsf.Put("status_detail", reason).Put("status_code", data.Text("error") ?? data.Text("status"));

        if (isRepeat)
        {
            ocsf.Put("count", data.Int("count")).Put("start_time", data.Millis("from")).Put("end_time", data.Millis("to"));
        }

        // A Base Event has no actor, endpoints or HTTP request: for an unknown type those stay in unmapped.
        if (rule.ClassUid != BaseEvent)
        {
            MapClass(ocsf, rule, data, service, type);
        }

        var unmapped = data.Rest();
        if (envelope.Rest() is { Count: > 0 } rest)
        {
            unmapped["cloudevent"] = rest;
        }

        return ocsf.Put("unmapped", unmapped.Count > 0 ? unmapped : null);
    }

    private static void MapClass(JsonObject ocsf, Rule rule, Reader data, string? service, string type)
    {
        var actorJson = data.Take(Fields.Actor);
        var actorUser = UserOf(Text(Property(actorJson, Fields.UserId)), Text(Property(actorJson, Fields.UserName)));
        var actorClient = Text(Property(actorJson, Fields.ClientId));
        var actor = new JsonObject().Put("user", actorUser).Put("app_uid", actorClient);

        var src = new JsonObject();
        if (data.Text(Fields.RemoteAddress) is { } address)
        {
            src[IPAddress.TryParse(address, out _) ? "ip" : "name"] = address;
        }

        // method is an HTTP method for edge and registration calls, a gRPC method for internal calls.
        var httpMethod = IsHttpMethod(Text(data.Get("method"))) ? data.Text("method") : null;
        var path = data.Text("path");
        if (httpMethod is not null || path is not null)
        {
            ocsf["http_request"] = new JsonObject().Put("http_method", httpMethod).Put("url", path is null ? null : new JsonObject { ["path"] = path });
        }

        // The event's own client id, marked mapped where a class puts it somewhere (an entity's takes it itself).
        var client = Text(data.Get(Fields.ClientId));
        switch (rule.ClassUid)
        {
            case Authentication:
                // The subject authenticated: its user, else the token's subject, the acting user, else the client
                // itself, but only for events with no user field at all (a refused sign-in's unknown user is no client).
                var namesNoUser = data.Get("userSysId").ValueKind == JsonValueKind.Undefined && data.Get("subject").ValueKind == JsonValueKind.Undefined;
                ocsf["user"] = UserOf(data.Text("userSysId") ?? data.Text("subject"), data.Text("userName"))
                    ?? actorUser?.DeepClone() ?? (namesNoUser ? ClientUser(client ?? actorClient) : null) ?? UnknownUser();
                data.Skip(Fields.ClientId);
                ocsf.Put("service", (client ?? actorClient) is { } serviceName ? new JsonObject { ["name"] = serviceName } : null);
                ocsf["dst_endpoint"] = new JsonObject { ["svc_name"] = service ?? Product };
                ocsf["auth_protocol_id"] = rule.AuthProtocolId;
                ocsf["auth_protocol"] = rule.AuthProtocolId == OpenId ? "OpenID" : "OAUTH 2.0";
                if (data.Text("grantType") is { } grantType)
                {
                    ocsf["logon_type_id"] = Other;
                    ocsf["logon_type"] = grantType;
                }

                ocsf.Put("session", (data.Text("sessionId") ?? data.Text("familyId")) is { } session ? new JsonObject { ["uid"] = session } : null);
                break;
            case AccountChange:
                ocsf["user"] = UserOf(data.Text("userSysId"), data.Text("userName")) ?? UnknownUser();
                break;
            case EntityManagement:
                ocsf["entity"] = EntityOf(rule.Entity, data);
                break;
            case UserAccess:
                // TokensCutOff and TokensRevokedInBulk name a user or a client (a kind it does not know stays in unmapped); the other events a user.
                var subjectId = Text(data.Get("subjectId"));
                var grantee = Text(data.Get("subjectKind")) switch
                {
                    "user" => UserOf(subjectId, null),
                    "client" => ClientUser(subjectId),
                    _ => null,
                };
                if (grantee is not null)
                {
                    data.Skip("subjectKind", "subjectId");
                }

                ocsf["user"] = grantee ?? UserOf(data.Text("userSysId"), data.Text("userName")) ?? UnknownUser();
                // Scopes when the event lists them; otherwise every scope (a consent withdrawn, tokens cut off).
                ocsf["privileges"] = data.Get("scopes").ValueKind == JsonValueKind.Array ? Node(data.Take("scopes")) : new JsonArray("*");
                data.Skip(Fields.ClientId);
                ocsf.Put("resource", client is null ? null : new JsonObject { ["uid"] = client, ["type"] = Client.Type });
                break;
            case ApiActivity:
                var operation = httpMethod is not null && path is not null ? $"{httpMethod} {path}" : httpMethod ?? path ?? data.Text("method") ?? type;
                ocsf["api"] = new JsonObject { ["operation"] = operation }.Put("service", service is null ? null : new JsonObject { ["name"] = service });
                data.Skip(Fields.ClientId);
                ocsf.Put("resources", client is null ? null : new JsonArray(new JsonObject { ["uid"] = client, ["type"] = Client.Type }));
                // An internal call's caller (unverified when it had no valid service token).
                var caller = data.Text("caller");
                actor.Put("app_name", caller);
                src.Put("svc_name", caller);
                // Both required in API Activity.
                if (actor.Count == 0)
                {
                    actor["app_name"] = Unknown;
                }

                if (src.Count == 0)
                {
                    src["name"] = Unknown;
                }

                break;
        }

        ocsf.Put("actor", actor.Count > 0 ? actor : null).Put("src_endpoint", src.Count > 0 ? src : null);
    }

    private static JsonObject EntityOf(EntityKind? kind, Reader data)
    {
        if (kind is null)
        {
            return new JsonObject { ["name"] = Unknown };
        }

        var uid = data.Text(kind.Key);
        var name = (kind.Name is null ? null : data.Text(kind.Name)) ?? uid ?? Unknown;
        return new JsonObject { ["type"] = kind.Type }
            .Put("uid", uid)
            .Put("name", name)
            .Put("version", kind.Version is null ? null : data.Text(kind.Version));
    }

    private static JsonObject? UserOf(string? uid, string? name) =>
        uid is null && name is null ? null : new JsonObject().Put("uid", uid).Put("name", name);

    // An OAuth client in a place OCSF fills with a user (the subject authenticated, the one whose access is cut off).
    private static JsonObject? ClientUser(string? clientId) =>
        clientId is null ? null : new JsonObject { ["uid"] = clientId, ["type_id"] = Other, ["type"] = "OAuth client" };

    private static JsonObject UnknownUser() => new() { ["name"] = Unknown };

    private static int? Crud(string? method) => method switch
    {
        "POST" => Create,
        "GET" or "HEAD" => Read,
        "PUT" or "PATCH" => Update,
        "DELETE" => Delete,
        _ => null,
    };

    private static bool IsHttpMethod(string? method) => method is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS";

    /// <summary><c>com.oauthaspire.audit.TokenIssued.v1</c> → <c>TokenIssued</c>.</summary>
    private static string? TypeName(string? cloudEventType)
    {
        if (string.IsNullOrEmpty(cloudEventType))
        {
            return null;
        }

        var parts = cloudEventType.Split('.');
        var last = parts[^1];
        var isVersion = parts.Length > 1 && last.Length > 1 && last[0] == 'v' && last.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;
        return isVersion ? parts[^2] : last;
    }

    // W3C traceparent: version-traceid-spanid-flags.
    private static string? TraceIdOf(string? traceParent) => traceParent?.Split('-') is [_, { Length: 32 } traceId, _, _] ? traceId : null;

    private static DateTimeOffset? Instant(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var instant) ? instant : null;

    private static JsonElement Property(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) ? value : default;

    // Strings as they are; numbers and booleans as their JSON text; nothing else.
    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };

    private static JsonNode? Node(JsonElement value) => value.ValueKind is JsonValueKind.Undefined ? null : JsonNode.Parse(value.GetRawText());

    private static JsonObject Put(this JsonObject json, string name, JsonNode? value)
    {
        if (value is not null)
        {
            json[name] = value;
        }

        return json;
    }

    private sealed record OcsfClass(string Name, int CategoryUid, string CategoryName, string[] Activities)
    {
        public string ActivityName(int id) => id == Other ? "Other" : id >= 1 && id <= Activities.Length ? Activities[id - 1] : "Unknown";
    }

    /// <summary>OCSF <c>entity.type</c>, and the data fields holding the entity's key (uid), display name (else the key) and version.</summary>
    private sealed record EntityKind(string Type, string Key, string? Name = null, string? Version = null);

    /// <summary>
    /// An event type's class and activity. Refine: a better activity from the event's data, when it has one.
    /// Alert: severity High whatever the outcome (a replayed credential, guessing, a compromised key).
    /// </summary>
    private sealed record Rule(int ClassUid, int ActivityId, EntityKind? Entity = null, int AuthProtocolId = OAuth2, bool Alert = false,
        Func<JsonElement, int?>? Refine = null);

    private static Rule Auth(int activity, int protocol = OAuth2, bool alert = false) => new(Authentication, activity, AuthProtocolId: protocol, Alert: alert);

    /// <summary>An object's properties, remembering which were mapped: <see cref="Rest"/> is the others.</summary>
    private sealed class Reader(JsonElement json)
    {
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

        public JsonElement Json => json;

        public JsonElement Get(string name) => Property(json, name);

        public JsonElement Take(string name)
        {
            _taken.Add(name);
            return Get(name);
        }

        public string? Text(string name) => OcsfMapper.Text(Take(name));

        public void Skip(params string[] names) => _taken.UnionWith(names);

        public void TakeIfEqual(string name, string? value)
        {
            if (value is not null && OcsfMapper.Text(Get(name)) == value)
            {
                _taken.Add(name);
            }
        }

        public int? Int(string name) => Get(name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var n) ? Taken(name, n) : null;

        public long? Millis(string name) => Instant(Get(name)) is { } instant ? Taken(name, instant.ToUnixTimeMilliseconds()) : null;

        /// <summary>Every property not mapped, nulls left out.</summary>
        public JsonObject Rest()
        {
            var rest = new JsonObject();
            if (json.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in json.EnumerateObject())
                {
                    if (!_taken.Contains(property.Name) && property.Value.ValueKind != JsonValueKind.Null)
                    {
                        rest[property.Name] = Node(property.Value);
                    }
                }
            }

            return rest;
        }

        private T Taken<T>(string name, T value)
        {
            _taken.Add(name);
            return value;
        }
    }
}
