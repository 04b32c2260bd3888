using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Federation;

/// <summary>A trust users may sign in through on our login page (identity brokering).</summary>
public sealed record SignInSettings
{
    /// <summary>Shown as "Sign in with …"; the trust's name when empty.</summary>
    public string DisplayName { get; init; } = "";
    /// <summary>Forward the login page's user name (or the client's login_hint) as login_hint.</summary>
    public bool LoginHint { get; init; }
    /// <summary>Forward the client's prompt (login, consent, select_account); max_age (and freshness for prompt=login) is forwarded always.</summary>
    public bool PassPrompt { get; init; }
    /// <summary>Home-realm discovery: users whose name ends with @one of these sign in here only, never with a local password.</summary>
    public IReadOnlyList<string> EmailDomains { get; init; } = [];
}

/// <summary>What the provider's authorization request carries, fresh for each sign-in.</summary>
public sealed record BrokerSecrets(string State, string Nonce, string CodeVerifier)
{
    public static BrokerSecrets New() => new(Random(), Random(), Random());

    public string CodeChallenge => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(CodeVerifier)));

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// Signing in through a trusted provider: an authorization code flow with PKCE (S256) and a nonce,
/// a <c>state</c> used once and bound to the browser that began it, a redirect URI of the trust's
/// own (so one provider's answer can never be taken for another's: mix-up), the provider's
/// <c>iss</c> in the response checked when sent (and required when its metadata promises it, RFC
/// 9207), and an ID token whose audience is our client at the provider, whose nonce is the one we
/// sent, and whose <c>azp</c>, when present, is our client too.
/// </summary>
public static class BrokeredSignIn
{
    public const int MaxDomains = 20;

    /// <summary>RFC 8176 §2: the registered authentication method references we pass on from a provider.</summary>
    public static readonly IReadOnlySet<string> Rfc8176Methods = new HashSet<string>(StringComparer.Ordinal)
    {
        "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
    };

    /// <summary>Prompt values a provider understands (OpenID Connect Core §3.1.2.1); <c>none</c> never reaches a login page.</summary>
    private static readonly IReadOnlySet<string> ForwardedPrompts = new HashSet<string>(StringComparer.Ordinal) { "login", "consent", "select_account" };

    /// <summary>The trust's own redirect URI, to register at the provider: one per trust, so an answer names the provider it came from.</summary>
    public static string RedirectUri(string issuer, string trustName) =>
        $"{issuer.TrimEnd('/')}{Discovery.MetadataBuilder.Paths.FederatedLogin}/{Uri.EscapeDataString(trustName)}/callback";

    /// <summary>
    /// How fresh the provider's sign-in must be: the client's <c>max_age</c>, 0 when it asked
    /// <c>prompt=login</c>; null when it asked neither. Always sent, and checked on the ID token:
    /// our ID token's auth_time is the provider's, so a stale sign-in there must not look fresh here.
    /// </summary>
    public static int? Freshness(IReadOnlyList<string> prompt, int? maxAge) => prompt.Contains("login") ? 0 : maxAge is >= 0 ? maxAge : null;

    /// <summary>What to ask the provider for: openid, and the claim the trust maps by when only a scope brings it.</summary>
    public static string ScopeFor(string userClaim) => userClaim switch
    {
        ExternalTokens.EmailClaim => "openid email",
        "preferred_username" or "upn" => "openid profile",
        _ => "openid",
    };

    /// <param name="maxAge">The freshness asked (<see cref="Freshness"/>): sent whatever the trust's settings.</param>
    public static string AuthorizationUrl(string authorizationEndpoint, string clientId, string redirectUri, BrokerSecrets secrets, SignInSettings settings,
        IReadOnlyList<string> prompt, int? maxAge, string? loginHint, string scope = "openid")
    {
        var query = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"), new("client_id", clientId), new("redirect_uri", redirectUri), new("scope", scope),
            new("state", secrets.State), new("nonce", secrets.Nonce), new("code_challenge", secrets.CodeChallenge), new("code_challenge_method", "S256"),
        };
        if (settings.PassPrompt && prompt.Where(ForwardedPrompts.Contains).ToArray() is { Length: > 0 } forwarded)
        {
            query.Add(new("prompt", string.Join(' ', forwarded)));
        }

        if (maxAge is >= 0)
        {
            query.Add(new("max_age", maxAge.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (settings.LoginHint && !string.IsNullOrWhiteSpace(loginHint) && loginHint.Length <= 256)
        {
            query.Add(new("login_hint", loginHint));
        }

        var separator = authorizationEndpoint.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return authorizationEndpoint + separator + string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
    }

    /// <summary>RFC 9207: null when the response's <c>iss</c> is acceptable, else why not.</summary>
    public static string? IssuerProblem(string? responseIssuer, string trustIssuer, bool issuerPromised) =>
        responseIssuer is null ? (issuerPromised ? "the provider promises iss in its responses and sent none" : null)
        : responseIssuer == trustIssuer ? null
        : "the response's iss is another issuer's (mix-up)";

    /// <summary>Provider and relying-party clocks differ by this much at most when freshness is checked.</summary>
    public static readonly TimeSpan FreshnessTolerance = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The ID token's own sign-in claims: the nonce we sent, <c>azp</c> our client when present (and
    /// present when the token has several audiences, OpenID Connect Core §2), and a recent enough
    /// sign-in (<c>auth_time</c>) when freshness was asked.
    /// </summary>
    public static string? IdTokenProblem(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken idToken, string expectedNonce, string clientId, int? maxAge,
        DateTimeOffset now)
    {
        if (!idToken.TryGetPayloadValue<string>("nonce", out var nonce) || !FixedTimeEquals(nonce, expectedNonce))
        {
            return "the ID token's nonce is not the one sent";
        }

        var hasAzp = idToken.TryGetPayloadValue<string>("azp", out var azp);
        if (hasAzp && azp != clientId)
        {
            return "the ID token's azp is another client";
        }

        if (!hasAzp && idToken.Audiences.Count() > 1)
        {
            return "the ID token has several audiences and no azp";
        }

        if (maxAge is >= 0)
        {
            if (!idToken.TryGetPayloadValue<long>("auth_time", out var authTime))
            {
                return "freshness was asked and the ID token has no auth_time";
            }

            if (DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(authTime, 0, 253402300799)).AddSeconds(maxAge.Value) + FreshnessTolerance < now)
            {
                return "the provider's sign-in is older than max_age";
            }
        }

        return null;
    }

    /// <summary>When the provider authenticated the user (its <c>auth_time</c>), if it says.</summary>
    public static DateTimeOffset? AuthTime(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken idToken) =>
        idToken.TryGetPayloadValue<long>("auth_time", out var authTime) ? DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(authTime, 0, 253402300799)) : null;

    /// <summary>The provider's <c>amr</c> values registered by RFC 8176 (others are the provider's own words: dropped).</summary>
    public static string[] Methods(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken idToken) =>
        idToken.TryGetPayloadValue<string[]>("amr", out var amr) && amr is not null ? [.. amr.Where(Rfc8176Methods.Contains).Distinct()] : [];

    /// <summary>The domain of a user name that looks like an address, lower-case; null otherwise.</summary>
    public static string? DomainOf(string? userName)
    {
        var at = userName?.LastIndexOf('@') ?? -1;
        return at > 0 && at < userName!.Length - 1 ? userName[(at + 1)..].Trim().ToLowerInvariant() : null;
    }

    /// <summary>Null when the sign-in settings hold, else (field, why not).</summary>
    public static (string Field, string Problem)? Problem(SignInSettings signIn, string? providerClientId)
    {
        if (string.IsNullOrEmpty(providerClientId))
        {
            return ("providerClient", "is required to sign users in through the provider");
        }

        if (signIn.DisplayName.Length > 100 || signIn.DisplayName.Any(char.IsControl))
        {
            return ("signIn.displayName", "at most 100 characters, no control characters");
        }

        return signIn.EmailDomains.Count > MaxDomains || signIn.EmailDomains.Any(d => !IsDomain(d))
            ? ("signIn.emailDomains", $"at most {MaxDomains} lower-case domain names (example.com)")
            : null;
    }

    private static bool IsDomain(string domain) =>
        domain.Length is > 2 and <= 253 && domain.Contains('.', StringComparison.Ordinal) && !domain.StartsWith('.') && !domain.EndsWith('.')
        && domain.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.');

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
