using System.Text.RegularExpressions;

namespace OAuthAspire.Protocol.Federation;

/// <summary>
/// Safe defaults per provider. Each maps the provider's stable, provider-assigned subject, never a
/// mutable address: Azure AD's <c>email</c> and <c>preferred_username</c> can be set by anyone who
/// controls a tenant (the "nOAuth" takeover), so its template maps <c>oid</c> and demands a
/// tenant-specific issuer (a multi-tenant one would trust every tenant in the world).
/// </summary>
public static partial class TrustTemplates
{
    public const string Generic = "generic";
    public const string AzureAd = "azure-ad";
    public const string Okta = "okta";
    public const string Auth0 = "auth0";
    public const string Adfs = "adfs";
    public const string Google = "google";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Generic, AzureAd, Okta, Auth0, Adfs, Google };

    public static readonly IReadOnlySet<string> UserClaims = new HashSet<string>(StringComparer.Ordinal) { "sub", "oid", "email", "upn", "preferred_username" };

    /// <summary>
    /// Claims the provider assigns once and never hands to anyone else. Every other one (<c>email</c>,
    /// <c>upn</c>, <c>preferred_username</c>, <c>unique_name</c>, <c>name</c>...) a user or a tenant
    /// administrator can change, so a mapping by it is pinned to the provider's subject once made.
    /// </summary>
    public static readonly IReadOnlySet<string> StableUserClaims = new HashSet<string>(StringComparer.Ordinal) { "sub", "oid" };

    public static bool IsMutable(string claim) => !StableUserClaims.Contains(claim);

    public static readonly IReadOnlySet<string> UserFields = new HashSet<string>(StringComparer.Ordinal) { "user_name", "email", "sys_id" };

    /// <summary>Asymmetric algorithms only: a provider's public key is never an HMAC secret.</summary>
    public static readonly IReadOnlySet<string> Algorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    private static readonly IReadOnlySet<string> AzureMultiTenant = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "common", "organizations", "consumers" };

    /// <summary>The template's default user claim (Azure AD: <c>oid</c>; the others: <c>sub</c>).</summary>
    public static string DefaultUserClaim(string template) => template == AzureAd ? "oid" : "sub";

    /// <summary>The metadata document's usual place for an issuer.</summary>
    public static string DefaultMetadataUrl(string issuer) => issuer.TrimEnd('/') + "/.well-known/openid-configuration";

    /// <summary>Null when the issuer fits the template, else why not.</summary>
    public static string? IssuerProblem(string template, string issuer)
    {
        switch (template)
        {
            case AzureAd:
                var azure = AzureIssuer().Match(issuer);
                if (!azure.Success)
                {
                    return "must be https://login.microsoftonline.com/{tenant-id}/v2.0 or https://sts.windows.net/{tenant-id}/";
                }

                var tenant = azure.Groups["tenant"].Value;
                return AzureMultiTenant.Contains(tenant) || !Guid.TryParse(tenant, out _)
                    ? "must name one tenant by its id, never common, organizations or consumers"
                    : null;
            case Google:
                return issuer == "https://accounts.google.com" ? null : "must be https://accounts.google.com";
            case Okta:
                return OktaIssuer().IsMatch(issuer) ? null : "must be https://{your-org}.okta.com or https://{your-org}.okta.com/oauth2/{server-id}";
            case Auth0:
                return issuer.StartsWith("https://", StringComparison.Ordinal) && issuer.EndsWith('/') ? null : "must be https://{tenant}.auth0.com/ (with the final slash)";
            case Adfs:
                return issuer.StartsWith("https://", StringComparison.Ordinal) && issuer.EndsWith("/adfs", StringComparison.OrdinalIgnoreCase)
                    ? null
                    : "must be https://{host}/adfs";
            default:
                return null;
        }
    }

    /// <summary>Null when the claim is a safe choice for the template, else why not.</summary>
    public static string? UserClaimProblem(string template, string claim) =>
        !UserClaims.Contains(claim) ? "must be one of sub, oid, email, upn, preferred_username"
        : template == AzureAd && claim is not ("oid" or "sub") ? "Azure AD's email, upn and preferred_username are not stable or not verified: map oid"
        : null;

    [GeneratedRegex(@"^https://(login\.microsoftonline\.com/(?<tenant>[^/]+)/v2\.0|sts\.windows\.net/(?<tenant>[^/]+)/)$")]
    private static partial Regex AzureIssuer();

    [GeneratedRegex(@"^https://[a-z0-9-]+\.(okta|oktapreview|okta-emea)\.com(/oauth2/[A-Za-z0-9]+)?$")]
    private static partial Regex OktaIssuer();
}
