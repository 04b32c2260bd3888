using System.Text.RegularExpressions;
using OAuthAspire.Contracts.Audit;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>A RabbitMQ login's permissions on its virtual host: three anchored regular expressions.</summary>
public sealed record BrokerPermission(string Configure, string Write, string Read);

/// <summary>
/// What each service's broker login may do. A service owns its MassTransit queues and endpoint
/// exchanges (all named <c>&lt;service&gt;-…</c>); of the audit event exchanges it may declare and read
/// those of the events it publishes or consumes, and write only those it publishes: a service cannot
/// announce another's events (a client change every cache believes, say). No login may touch the
/// exchange every event reaches (<see cref="AuditStream.Exchange"/>) or the stream: the AppHost declares them
/// as the administrator. Event exchanges are named by <see cref="AuditStream.EventExchange"/>, never after .NET types.
/// </summary>
/// <remarks>
/// Keep in step with the code, by event type:
/// publishes = the events a service writes to its <c>IAuditSink</c> (<c>new XxxEvent(</c> in services/&lt;Service&gt;);
/// consumes = its <c>IConsumer&lt;XxxEvent&gt;</c> and <c>InvalidateOn&lt;XxxEvent&gt;</c> cache rules registered in AddOAuthService
/// (services/&lt;Service&gt;/&lt;Service&gt;Services.cs, ServiceDefaults' JwksRotatedConsumer included). ServiceDefaults writes <c>RefusalsRepeated</c> and
/// <c>InternalCallRefused</c> for every service.
/// </remarks>
public static class BrokerPermissions
{
    /// <summary>Written by ServiceDefaults in every service (RepeatedRefusals, the internal call guard).</summary>
    private static readonly string[] Everyone = ["InternalCallRefused", "RefusalsRepeated", "ChainCheckpoint"];

    private static readonly Dictionary<string, EventUse> Events = new(StringComparer.Ordinal)
    {
        // ApiRefusals, RateLimits | RevocationList, ClientStatus, CorsOrigins, ApiPolicySnapshot, FederatedTokens, JwksCache
        [ServiceNames.Edge] = new(
            ["AdminAccessRefused", "ApiAccessDenied", "RateLimited"],
            ["TokenRevoked", "TokensCutOff", "ClientCreated", "ClientUpdated", "ClientDeleted",
             "ScopeCreated", "ScopeUpdated", "ScopeDeleted", "ApiPolicyCreated", "ApiPolicyUpdated", "ApiPolicyDeleted",
             "TrustCreated", "TrustUpdated", "TrustDeleted", "UserUpdated", "UserDeleted", "ExternalSubjectUnlinked",
             "SigningKeyRotated", "SigningKeyRevoked"]),
        // Login, consent, logout, authorization, sessions ended by a password change, device code guesses | RegisteredClients, ScopeCatalog, ApiResourceCatalog, JwksCache,
        // SignInProviders, UserDeletedConsumer, PasswordChangedConsumer
        [ServiceNames.Authorize] = new(
            ["LoginSucceeded", "LoginFailed", "ConsentGranted", "ConsentRevoked", "AuthorizationRequestRefused", "SessionEnded",
             "UserCodeRejected", "DeviceVerificationLocked", "UserCodeGuessingDetected"],
            ["ClientCreated", "ClientUpdated", "ClientDeleted", "ScopeCreated", "ScopeUpdated", "ScopeDeleted",
             "ApiPolicyCreated", "ApiPolicyUpdated", "ApiPolicyDeleted", "SigningKeyRotated", "SigningKeyRevoked", "UserUpdated", "UserDeleted",
             "TrustCreated", "TrustUpdated", "TrustDeleted"]),
        // UserAdminEndpoints, the Directory's VerifyPassword (lockout) and CreateUser, AdminBootstrap, UserImport | nothing
        [ServiceNames.Directory] = new(
            ["UserCreated", "UserUpdated", "UserDeleted", "TokensCutOff", "AccountLocked"],
            []),
        // Issuance, grants, revocation, keys, device requests, ClientFirstUse, TokenRevocations | RegisteredClients, UserDirectory, KeyMaintenance, ScopeResolver, ApiResourceCatalog,
        // GrantWithdrawnConsumer, TokensCutOffConsumer, PasswordChangedConsumer
        [ServiceNames.Token] = new(
            ["TokenIssued", "TokenRequestRefused", "TokenRevoked", "TokenExchanged", "SigningKeyRotated", "SigningKeyRevoked",
             "CodeIssued", "CodeRedeemed", "CodeReplayDetected", "ImplicitFlowUsed", "RefreshTokenRotated", "RefreshRaceLost",
             "RefreshTokenReuseDetected", "RefreshFamilyRevoked", "PasswordGrantFailed", "JwtAssertionRefused",
             "JwtBearerTokenIssued", "ClientAssertionRefused", "AuthorizationRequestRefused", "DeviceAuthorizationStarted",
             "DeviceAuthorizationApproved", "DeviceAuthorizationDenied", "DeviceCodeRedeemed", "DeviceCodeReplayDetected", "DevicePollingTooFast", "ClientFirstUsed",
             "TokensCutOff", "TokensRevokedInBulk"],
            ["ClientCreated", "ClientUpdated", "ClientDeleted", "ClientSecretRotated", "UserUpdated", "UserDeleted",
             "SigningKeyRotated", "SigningKeyRevoked", "ScopeCreated", "ScopeUpdated", "ScopeDeleted", "ApiPolicyCreated", "ApiPolicyUpdated",
             "ApiPolicyDeleted", "ConsentRevoked", "TokensCutOff"]),
        // ClientAdminEndpoints, self-registration and its policies and tokens, UnusedClientExpiry, MetadataDocuments | ClientFirstUsedConsumer
        [ServiceNames.ClientRegistry] = new(
            ["ClientCreated", "ClientUpdated", "ClientDeleted", "ClientSecretRotated", "TokensCutOff", "ClientRegistered", "ClientRegistrationRefused",
             "ClientRegistrationManaged", "RegistrationManagementRefused", "RegistrationPolicySaved", "RegistrationPolicyDeleted",
             "InitialAccessTokenCreated", "InitialAccessTokenRevoked", "UnusedClientExpired", "ClientMetadataDocumentFetched", "ClientMetadataDocumentRefused"],
            ["ClientFirstUsed"]),
        // TrustAdminEndpoints, ExternalTokenValidation, UserMapping, ProviderSignIns | TrustCatalog, ProviderIntrospection, ClientTrustsConsumer
        [ServiceNames.FederationTrust] = new(
            ["TrustCreated", "TrustUpdated", "TrustDeleted", "ExternalTokenAccepted", "ExternalTokenRefused",
             "ExternalSubjectLinked", "ExternalSubjectUnlinked", "UserAutoCreated", "FederatedSignIn", "FederatedSignInRefused"],
            ["TrustCreated", "TrustUpdated", "TrustDeleted", "ClientCreated", "ClientUpdated", "ClientDeleted"]),
        // ScopeAdminEndpoints, PolicyAdminEndpoints | ClientScopesConsumer
        [ServiceNames.ScopePolicy] = new(
            ["ScopeCreated", "ScopeUpdated", "ScopeDeleted", "ApiPolicyCreated", "ApiPolicyUpdated", "ApiPolicyDeleted"],
            ["ClientCreated", "ClientUpdated", "ClientDeleted"]),
        // Nothing of its own | reads the whole stream instead (StreamReaders), as the auditor does
        [ServiceNames.AuditLog] = new([], []),
    };

    /// <summary>Services that read the audit stream itself (read-only, like <see cref="Auditor"/>): the audit log.</summary>
    private static readonly HashSet<string> StreamReaders = new(StringComparer.Ordinal) { ServiceNames.AuditLog };

    /// <summary>The audit event types a service publishes (its own and those every service writes).</summary>
    public static IReadOnlyList<string> PublishedBy(string service) => [.. Events[service].Publishes.Concat(Everyone).Distinct().Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> ConsumedBy(string service) => [.. Events[service].Consumes.Distinct().Order(StringComparer.Ordinal)];

    /// <param name="stream">The audit stream's name (AppHost <c>Audit:Stream:Name</c>), for the services that read it.</param>
    public static BrokerPermission For(string service, string stream)
    {
        if (!Events.ContainsKey(service))
        {
            throw new ArgumentException($"No broker permissions are defined for '{service}'.", nameof(service));
        }

        var published = PublishedBy(service);
        var used = published.Concat(ConsumedBy(service)).Distinct().Order(StringComparer.Ordinal).ToList();
        var own = Regex.Escape(service) + "-.*";
        // Its CloudEvents go to its own audit exchange, which only the AppHost declares and binds.
        var exchange = "|" + Regex.Escape(AuditStream.ServiceExchange(service));
        var inside = published.Where(AuditStream.ConsumedInside.Contains).ToList();
        var reads = StreamReaders.Contains(service) ? "|" + Regex.Escape(stream) : "";
        return new BrokerPermission(Pattern(own, used), Pattern(own + exchange, inside), Pattern(own + reads, used));
    }

    /// <summary>The read-only auditor: reads the stream, declares and writes nothing.</summary>
    public static BrokerPermission Auditor(string stream) => new("^$", "^$", $"^{Regex.Escape(stream)}$");

    private sealed record EventUse(string[] Publishes, string[] Consumes);

    private static string Pattern(string own, IEnumerable<string> eventTypes) =>
        $"^({own}|{Regex.Escape(AuditStream.EventExchangePrefix)}({string.Join('|', eventTypes.Select(Regex.Escape))}))$";
}
