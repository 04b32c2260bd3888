using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>The identity an assertion states, or why it was refused.</summary>
public sealed record IdentityAssertionCheck(EdgeIdentity? Identity, string? Problem)
{
    public bool IsValid => Identity is not null;
}

/// <summary>
/// Checks the edge's identity assertions at an API (<see cref="IdentityAssertion"/>): signed by one
/// of the edge's public keys (<c>ServiceIdentity:Trusted:edge</c>; the key its <c>kid</c> names),
/// <c>iss</c> <c>edge</c>, <c>aud</c> this API's audience, the exact assertion type, an expiry within
/// 120 s of issue, 30 s of clock skew. Accepted ones are remembered until they expire.
/// </summary>
public sealed class IdentityAssertionVerifier
{
    private const int MaxLength = 8192;
    private static readonly string[] Algorithms = [SecurityAlgorithms.EcdsaSha256];

    private readonly IReadOnlyList<SecurityKey> _edgeKeys;
    private readonly string? _audience;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly ValidatedTokenCache<IdentityAssertionCheck> _accepted = new(1024);

    /// <param name="edgeKeys">The edge's public keys.</param>
    /// <param name="audience">The API audience; with none every assertion is refused.</param>
    public IdentityAssertionVerifier(IReadOnlyList<SecurityKey> edgeKeys, string? audience, TimeProvider time)
    {
        _edgeKeys = edgeKeys;
        _audience = audience;
        _time = time;
    }

    public async ValueTask<IdentityAssertionCheck> VerifyAsync(string? assertion)
    {
        if (string.IsNullOrEmpty(assertion))
        {
            return new IdentityAssertionCheck(null, "no assertion");
        }

        var now = _time.GetUtcNow();
        if (_accepted.Find(assertion, now) is { } known)
        {
            return known;
        }

        if (_audience is null || _edgeKeys.Count == 0)
        {
            return new IdentityAssertionCheck(null, "this API trusts no edge key or has no audience");
        }

        if (assertion.Length > MaxLength)
        {
            return new IdentityAssertionCheck(null, "malformed assertion");
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(assertion);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            return new IdentityAssertionCheck(null, "malformed assertion");
        }

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = ServiceNames.Edge,
            ValidAudience = _audience,
            ValidTypes = [IdentityAssertion.TokenType],
            ValidAlgorithms = Algorithms,
            IssuerSigningKeys = _edgeKeys,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            ValidateLifetime = false,
        });
        if (!result.IsValid)
        {
            return new IdentityAssertionCheck(null, ServiceTokenVerifier.Classify(result.Exception));
        }

        if (ServiceTokenVerifier.LifetimeProblem(jwt, now) is { } problem)
        {
            return new IdentityAssertionCheck(null, problem);
        }

        if (IdentityAssertion.Read(jwt) is not { } identity)
        {
            return new IdentityAssertionCheck(null, "no subject or client");
        }

        var accepted = new IdentityAssertionCheck(identity, null);
        _accepted.Add(assertion, accepted, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        return accepted;
    }
}
