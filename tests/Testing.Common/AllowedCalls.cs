namespace OAuthAspire.Testing;

/// <summary>One RPC: the service that serves it, its gRPC service (protobuf full name) and method, and the services that may call it.</summary>
public sealed record AllowedCall(string Callee, string Service, string Method, IReadOnlyList<string> Callers)
{
    /// <summary>As gRPC names it on the wire: <c>package.Service/Method</c>.</summary>
    public string Rpc => $"{Service}/{Method}";
}

/// <summary>
/// Who may call what: the whole matrix, written independently of the services' own
/// <c>[AllowedCallers]</c> attributes. ServiceIdentityTests checks it against the running system,
/// ArchitectureTests against the README's call graph, so both read this one copy.
/// </summary>
public static class AllowedCalls
{
    private const string ClientRegistry = "oauthaspire.clientregistry.v1.ClientRegistry";
    private const string Directory = "oauthaspire.directory.v1.Directory";
    private const string FederationTrust = "oauthaspire.federationtrust.v1.FederationTrust";
    private const string ScopePolicy = "oauthaspire.scopepolicy.v1.ScopePolicy";
    private const string TokenIssuer = "oauthaspire.tokenissuer.v1.TokenIssuer";

    /// <summary>Every RPC the contracts define, with its callee and allowed callers (service names).</summary>
    public static readonly IReadOnlyList<AllowedCall> All =
    [
        new("client-registry", ClientRegistry, "GetClient", ["authorize", "edge", "token"]),
        new("client-registry", ClientRegistry, "GetVerifierKeys", ["token"]),
        new("client-registry", ClientRegistry, "ListAllowedOrigins", ["edge"]),
        new("directory", Directory, "GetUser", ["authorize", "token"]),
        new("directory", Directory, "FindUser", ["authorize", "client-registry", "federation-trust", "token"]),
        new("directory", Directory, "VerifyPassword", ["authorize", "token"]),
        new("directory", Directory, "CreateUser", ["federation-trust"]),
        new("directory", Directory, "ImportUsers", ["authorize"]),
        new("directory", Directory, "ChangePassword", ["authorize"]),
        new("federation-trust", FederationTrust, "ValidateExternalToken", ["edge", "token"]),
        new("federation-trust", FederationTrust, "ClaimTrusts", ["client-registry"]),
        new("federation-trust", FederationTrust, "GetUseViewState", ["client-registry"]),
        new("federation-trust", FederationTrust, "ReplaceTrustUses", ["client-registry"]),
        new("federation-trust", FederationTrust, "ListSignInProviders", ["authorize"]),
        new("federation-trust", FederationTrust, "BeginSignIn", ["authorize"]),
        new("federation-trust", FederationTrust, "CompleteSignIn", ["authorize"]),
        new("scope-policy", ScopePolicy, "ListScopes", ["authorize", "federation-trust", "token"]),
        new("scope-policy", ScopePolicy, "ResolveGrantedScopes", ["authorize", "token"]),
        new("scope-policy", ScopePolicy, "ListApiPolicies", ["edge", "authorize", "token"]),
        new("scope-policy", ScopePolicy, "ClaimScopes", ["client-registry"]),
        new("scope-policy", ScopePolicy, "GetUseViewState", ["client-registry"]),
        new("scope-policy", ScopePolicy, "ReplaceScopeUses", ["client-registry"]),
        new("token", TokenIssuer, "CreateAuthorizationCode", ["authorize"]),
        new("token", TokenIssuer, "GetPushedRequest", ["authorize"]),
        new("token", TokenIssuer, "VerifyRequestObject", ["authorize"]),
        new("token", TokenIssuer, "IssueImplicitTokens", ["authorize"]),
        new("token", TokenIssuer, "FindDeviceAuthorization", ["authorize"]),
        new("token", TokenIssuer, "DecideDeviceAuthorization", ["authorize"]),
        new("token", TokenIssuer, "ListRevocations", ["edge"]),
        new("token", TokenIssuer, "ListClientUse", ["authorize"]),
    ];
}
