using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// Authenticates an API call by the identity the edge verified, for the calls an API cannot check
/// itself: tokens of trusted external providers, which the edge had federation-trust validate and
/// map. The identity comes only from the edge's signed assertion (<see cref="IdentityAssertion"/>,
/// checked with the edge's public key), never from the identity headers, which anyone reaching the
/// API directly could send.
/// </summary>
public sealed class EdgeIdentityHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IdentityAssertionVerifier assertions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "EdgeIdentity";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var assertion = Request.Headers[IdentityAssertion.Header].ToString();
        if (assertion.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var check = await assertions.VerifyAsync(assertion);
        if (check.Identity is not { } identity)
        {
            return AuthenticateResult.Fail($"The edge's identity assertion was refused: {check.Problem}.");
        }

        // An assertion for a DPoP-checked call names that call: seen by whoever, it opens no other.
        if (identity.Method is not null && (identity.Method != Request.Method || identity.Path != Request.Path.Value))
        {
            return AuthenticateResult.Fail("The edge's identity assertion is for another call.");
        }

        var claims = new List<Claim>
        {
            new("sub", identity.Subject),
            new("client_id", identity.ClientId),
            new("scope", string.Join(' ', identity.Scopes)),
        };
        claims.AddRange(identity.Roles.Select(r => new Claim("roles", r)));
        if (identity.UserName is not null)
        {
            claims.Add(new Claim("username", identity.UserName));
        }

        if (identity.Trust is not null)
        {
            claims.Add(new Claim("trust", identity.Trust));
        }

        if (identity.Binding is not null)
        {
            claims.Add(new Claim("token_binding", identity.Binding));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, "sub", "roles"));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
