using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>The outcome of checking a service token: the verified caller, or why there is none.</summary>
/// <param name="Caller">The verified calling service; null when refused.</param>
/// <param name="Problem">Why the token was refused (never the token itself).</param>
/// <param name="ClaimedCaller">The <c>iss</c> an unverified token claimed, when it was a plain name.</param>
public sealed record ServiceTokenCheck(string? Caller, string? Problem, string? ClaimedCaller = null)
{
    public bool IsValid => Caller is not null;

    /// <summary>Who to name in an audit event: the verified caller, else the claim marked unverified, else "(none)".</summary>
    public string AuditCaller => Caller ?? (ClaimedCaller is null ? "(none)" : "unverified:" + ClaimedCaller);
}

/// <summary>
/// Checks the service tokens other services present to this one: signed (ES256) by a key trusted for
/// the caller the token names (the key its <c>kid</c> names, nothing else), addressed to this service,
/// of the exact service-token type, with a lifetime of at most 120 s, within 30 s of clock skew.
/// Accepted tokens are remembered until they expire, in a small bounded cache, so a caller reusing
/// its token costs a dictionary look-up, not an ECDSA verification.
/// </summary>
public sealed class ServiceTokenVerifier
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Longest life a service token may claim (ours live 60 s): a stolen one is worth little for long.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(120);

    // Ours are ~500 characters; anything far longer is not worth parsing.
    private const int MaxTokenLength = 4096;

    private static readonly string[] Algorithms = [SecurityAlgorithms.EcdsaSha256];
    private static readonly ServiceTokenCheck NoToken = new(null, "no service token");
    private static readonly ServiceTokenCheck Malformed = new(null, "malformed service token");

    private readonly string? _name;
    private readonly Dictionary<string, SecurityKey[]> _trusted = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly ValidatedTokenCache<ServiceTokenCheck> _accepted;

    /// <exception cref="InvalidOperationException">A trusted key is not a P-256 public key.</exception>
    public ServiceTokenVerifier(ServiceIdentityOptions options, TimeProvider time, int cacheCapacity = 256)
    {
        _name = options.Name;
        _time = time;
        _accepted = new ValidatedTokenCache<ServiceTokenCheck>(cacheCapacity);
        foreach (var (caller, keys) in options.Trusted)
        {
            _trusted[caller] = ParseKeys(caller, keys);
        }
    }

    /// <summary>This service's name: the audience tokens must name.</summary>
    public string? Name => _name;

    /// <summary>Callers with at least one trusted key.</summary>
    public IReadOnlyCollection<string> TrustedCallers => _trusted.Keys;

    /// <summary>Accepted tokens remembered now (tests).</summary>
    internal int Remembered => _accepted.Count;

    /// <summary>The keys trusted for <paramref name="caller"/> (none when unknown).</summary>
    public IReadOnlyList<SecurityKey> KeysOf(string caller) => _trusted.GetValueOrDefault(caller) ?? [];

    public async ValueTask<ServiceTokenCheck> VerifyAsync(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return NoToken;
        }

        var now = _time.GetUtcNow();
        if (_accepted.Find(token, now) is { } known)
        {
            return known;
        }

        if (token.Length > MaxTokenLength)
        {
            return Malformed;
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            return Malformed;
        }

        var claimed = PlainName(jwt.Issuer);
        if (_name is null)
        {
            return new ServiceTokenCheck(null, "this service has no identity to be called as", claimed);
        }

        if (claimed is null || !_trusted.TryGetValue(claimed, out var keys))
        {
            // Not named in the audit: made-up names would each start a refusal tally of their own.
            return new ServiceTokenCheck(null, "unknown caller");
        }

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = claimed,
            ValidAudience = _name,
            ValidTypes = [ServiceTokenSigner.TokenType],
            ValidAlgorithms = Algorithms,
            IssuerSigningKeys = keys,
            // Only the key the token names: a key of another service never stands in.
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            // Checked below against this verifier's clock, with reasons of its own.
            ValidateLifetime = false,
        });
        if (!result.IsValid)
        {
            return new ServiceTokenCheck(null, Classify(result.Exception), claimed);
        }

        if (jwt.Subject != claimed)
        {
            return new ServiceTokenCheck(null, "subject is not the caller", claimed);
        }

        if (LifetimeProblem(jwt, now) is { } problem)
        {
            return new ServiceTokenCheck(null, problem, claimed);
        }

        var accepted = new ServiceTokenCheck(claimed, null);
        _accepted.Add(token, accepted, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        return accepted;
    }

    /// <summary>Why a token's times are unacceptable now, or null. Shared with the identity assertions.</summary>
    internal static string? LifetimeProblem(JsonWebToken jwt, DateTimeOffset now)
    {
        // JsonWebToken reports an absent time as DateTime.MinValue.
        if (jwt.ValidTo == DateTime.MinValue)
        {
            return "no expiry";
        }

        if (jwt.IssuedAt == DateTime.MinValue)
        {
            return "no issue time";
        }

        var utcNow = now.UtcDateTime;
        if (jwt.ValidTo - jwt.IssuedAt > MaxLifetime)
        {
            return "lifetime over 120 s";
        }

        if (utcNow >= jwt.ValidTo + ClockSkew)
        {
            return "expired";
        }

        if (jwt.IssuedAt - ClockSkew > utcNow || jwt.ValidFrom != DateTime.MinValue && jwt.ValidFrom - ClockSkew > utcNow)
        {
            return "not yet valid";
        }

        return null;
    }

    internal static string Classify(Exception? exception) => exception switch
    {
        // Before its base class, the invalid signature.
        SecurityTokenSignatureKeyNotFoundException => "signed by a key not trusted for this caller",
        SecurityTokenInvalidSignatureException => "bad signature",
        SecurityTokenInvalidAlgorithmException => "wrong algorithm",
        SecurityTokenInvalidTypeException => "wrong token type",
        SecurityTokenInvalidAudienceException => "wrong audience",
        SecurityTokenInvalidIssuerException => "unknown caller",
        _ => "invalid",
    };

    /// <summary>The issuer when it is a plain service-like name (safe to write in an audit event), else null.</summary>
    internal static string? PlainName(string? issuer) =>
        issuer is { Length: > 0 and <= 64 } && issuer.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? issuer : null;

    private static SecurityKey[] ParseKeys(string caller, IEnumerable<string> keys)
    {
        try
        {
            return keys.Select(k => (SecurityKey)ServiceKeys.ImportPublic(k)).ToArray();
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException(
                $"{ServiceIdentityOptions.Section}:Trusted:{caller} holds a value that is not a base64 SubjectPublicKeyInfo EC P-256 public key.", e);
        }
    }
}
