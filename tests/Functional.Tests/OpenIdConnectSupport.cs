using System.Security.Claims;
using Duende.IdentityModel.OidcClient;
using Duende.IdentityModel.OidcClient.Browser;
using Duende.IdentityModel.OidcClient.Results;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// OidcClient's browser, played by <see cref="FormBrowser"/>: it opens the start URL, signs in and
/// consents as a user would, and hands back the URL the browser was finally sent to.
/// </summary>
public sealed class SigningInBrowser(FormBrowser browser, string userName, string password) : IBrowser
{
    public async Task<BrowserResult> InvokeAsync(BrowserOptions options, CancellationToken cancellationToken = default)
    {
        var response = await browser.GetAsync(options.StartUrl);
        if (browser.Html.Contains("id=\"password\"", StringComparison.Ordinal))
        {
            response = await browser.SignInAsync(userName, password);
        }

        if (browser.Html.Contains("wants to access your account", StringComparison.Ordinal))
        {
            response = await browser.ConsentAsync(allow: true);
        }

        return response.Headers.Location is { } location
            ? new BrowserResult { ResultType = BrowserResultType.Success, Response = location.ToString() }
            : new BrowserResult { ResultType = BrowserResultType.UnknownError, Error = $"ended on a page: {browser.Html}" };
    }
}

/// <summary>
/// OidcClient checks no ID token signature by default; this validator does, with
/// Microsoft.IdentityModel.JsonWebTokens against the issuer's published keys.
/// </summary>
public sealed class JwtIdentityTokenValidator(HttpClient http) : IIdentityTokenValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task<IdentityTokenValidationResult> ValidateAsync(string identityToken, OidcClientOptions options, CancellationToken cancellationToken = default)
    {
        var keys = new JsonWebKeySet(await http.GetStringAsync("/oauth/jwks", cancellationToken));
        var result = await _handler.ValidateTokenAsync(identityToken, new TokenValidationParameters
        {
            ValidIssuer = options.ProviderInformation.IssuerName,
            ValidAudience = options.ClientId,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidTypes = ["JWT"],
            ClockSkew = options.ClockSkew,
            NameClaimType = "name",
        });
        return result.IsValid
            ? new IdentityTokenValidationResult { User = new ClaimsPrincipal(result.ClaimsIdentity), SignatureAlgorithm = SecurityAlgorithms.RsaSha256 }
            : new IdentityTokenValidationResult { Error = $"invalid identity token: {result.Exception?.GetType().Name}" };
    }
}
