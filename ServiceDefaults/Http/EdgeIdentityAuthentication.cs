using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// Authenticates an API call by the identity the edge verified (<see cref="EdgeIdentity"/>), for
/// the calls an API cannot check itself: tokens of trusted external providers, which the edge had
/// federation-trust validate and map. Believed only on requests carrying the edge's internal key.
/// </summary>
public sealed class EdgeIdentityHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "EdgeIdentity";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (EdgeIdentity.Of(Context) is not { } identity)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
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

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, "sub", "roles"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
