using System.Text.Json.Nodes;

namespace OAuthAspire.AdminConsole.Api;

// The admin APIs' answers as the console reads them (the contract is /api/admin/openapi.json);
// members it does not show are left out, and applications are kept whole as JSON for their replacement.

public sealed record Page<T>(IReadOnlyList<T> Items, int Offset, int Limit, long Total);

public sealed record KeysetPage<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>An application: the fields the console shows, and the whole document it replaces it with.</summary>
public sealed record Application(JsonObject Document)
{
    public string ClientId => (string?)Document["clientId"] ?? "";

    public string Name => (string?)Document["name"] ?? "";

    public bool Public => (bool?)Document["public"] ?? false;

    public bool Active => (bool?)Document["active"] ?? true;

    public string? ClientSecret => (string?)Document["clientSecret"];

    public string? Origin => (string?)Document["origin"];

    public IReadOnlyList<string> GrantTypes => Strings("grantTypes");

    public IReadOnlyList<string> Scopes => Strings("scopes");

    public IReadOnlyList<string> RedirectUris => Strings("redirectUris");

    public IReadOnlyList<string> AllowedOrigins => Strings("allowedOrigins");

    private IReadOnlyList<string> Strings(string name) =>
        Document[name] is JsonArray array ? array.Select(n => (string?)n ?? "").ToArray() : [];
}

/// <summary>A user: the fields the console shows, and the whole document it replaces the user with.</summary>
public sealed record DirectoryUser(JsonObject Document)
{
    public string UserName => (string?)Document["userName"] ?? "";

    public string Email => (string?)Document["email"] ?? "";

    public string FirstName => (string?)Document["firstName"] ?? "";

    public string LastName => (string?)Document["lastName"] ?? "";

    public bool Active => (bool?)Document["active"] ?? true;

    public IReadOnlyList<string> Roles => Document["roles"] is JsonArray array ? array.Select(n => (string?)n ?? "").ToArray() : [];
}

public sealed record TokenBinding(string? DpopJkt, string? MtlsX5t);

public sealed record IssuedToken(string Type, string Id, string ClientId, string Subject, string? UserName, string[] Scopes, string GrantType,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, bool Active, TokenBinding? Binding, Guid? FamilyId);

public sealed record TokensRevoked(int AccessTokens, int RefreshFamilies);

public sealed record KeyRevoked(string Kid, bool Revoked, string? ReplacementKid);

public sealed record SigningKey(string Kid, string Algorithm, string Status, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt, DateTimeOffset? UnpublishedAt);

public sealed record Consent(string UserSysId, string? UserName, string ClientId, string[] Scopes, DateTimeOffset GrantedAt);

/// <summary>The token inventory's filters, as the page's query names them.</summary>
public sealed record TokenFilter(string? Client, string? User, string? Type, bool? Active);

/// <summary>One audit event of <c>GET /api/admin/audit/events</c>; <see cref="Data"/> holds the event's own fields.</summary>
public sealed record AuditEntry(long Position, DateTimeOffset OccurredAt, string Service, string Type, string Outcome, string? ClientId,
    string? UserId, string? UserName, string? RemoteAddress, string? Reason, string? TraceId, System.Text.Json.JsonElement Data);

public sealed record AuditFilter(string? Client, string? User, string? Type, string? Outcome, string? Service);

public sealed record ApiRuleView(string[] Methods, string Resource, string[] Scopes);

/// <summary>An API policy: the fields the console shows, and the whole document it replaces the policy with.</summary>
public sealed record ApiPolicyView(JsonObject Document)
{
    public string Name => (string?)Document["name"] ?? "";

    public string BasePath => (string?)Document["basePath"] ?? "";

    public string? Resource => (string?)Document["resource"];

    public IReadOnlyList<ApiRuleView> Rules => Document["rules"] is JsonArray rules
        ? rules.OfType<JsonObject>().Select(r => new ApiRuleView(Strings(r["methods"]), (string?)r["resource"] ?? "", Strings(r["scopes"]))).ToArray()
        : [];

    private static string[] Strings(JsonNode? node) => node is JsonArray array ? array.Select(n => (string?)n ?? "").ToArray() : [];
}

/// <summary>The edge's decision on a call, as <c>POST /api/admin/api-policies/try</c> computes it.</summary>
public sealed record PolicyTrialResult(bool Allowed, string? Policy, string? BasePath, string[] RequiredScopes, string[] ScopesThatCount, string Reason);

public sealed record Scope(string Name, string Description, bool Active);

public sealed record Trust(string Name, string? Template, string Issuer, string? MetadataUrl, string[]? ClientIds, string? UserClaim, string? UserField,
    bool? AutoProvision, string[]? Scopes, bool? Active, bool? AllowPrivilegedUsers);

/// <summary>What checking a trust's provider found now (<c>POST /api/admin/trusts/{name}/check</c>).</summary>
public sealed record TrustCheck(bool Ok, string? Problem, string? JwksUri, string[] KeyIds, DateTimeOffset CheckedAt);
