namespace OAuthAspire.ServiceDefaults;

/// <summary>
/// The services' names: their Aspire resource names, the names service discovery resolves, and the
/// identities their service tokens carry (<c>iss</c> of a caller, <c>aud</c> of a callee).
/// </summary>
public static class ServiceNames
{
    public const string Edge = "edge";
    public const string Authorize = "authorize";
    public const string Token = "token";
    public const string ClientRegistry = "client-registry";
    public const string FederationTrust = "federation-trust";
    public const string ScopePolicy = "scope-policy";
    public const string Directory = "directory";

    /// <summary>Follows the audit stream into its own table for the audit query API (auditors only).</summary>
    public const string AuditLog = "audit-log";

    /// <summary>The sample protected API: a resource the edge routes to, outside the trust boundary (no identity).</summary>
    public const string TableApi = "table-api";

    /// <summary>The administrators' console: a client of the public admin API behind the edge, outside the trust boundary (no identity).</summary>
    public const string Console = "console";

    /// <summary>Every service that holds an identity (the sample API holds none).</summary>
    public static readonly IReadOnlyList<string> All = [Edge, Authorize, Token, ClientRegistry, FederationTrust, ScopePolicy, Directory, AuditLog];
}
