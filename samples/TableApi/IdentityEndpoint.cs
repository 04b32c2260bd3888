using System.Security.Claims;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Samples.TableApi;

/// <summary>
/// <c>GET /api/now/identity</c>: who is calling, as this API authenticated them (our access token,
/// or the edge's signed assertion for a trusted provider's token), and every identity header that
/// reached this API, so a caller (and the tests) can see that nothing forged is believed.
/// </summary>
public static class IdentityEndpoint
{
    public static IEndpointRouteBuilder MapIdentityEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/now/identity", (HttpContext context) =>
        {
            var user = context.User;
            var headers = context.Request.Headers
                // Credentials are never echoed (the edge sends the APIs no proof of its own; a caller may try).
                // Client-Cert too: the edge hands a client certificate to the token service only, never to an API.
                .Where(h => (h.Key.StartsWith(EdgeIdentity.HeaderPrefix, StringComparison.OrdinalIgnoreCase)
                        || h.Key.Equals(EdgeTrust.ClientCertHeader, StringComparison.OrdinalIgnoreCase))
                    && !h.Key.Equals(EdgeTrust.EdgeHeader, StringComparison.OrdinalIgnoreCase)
                    && !h.Key.Equals(IdentityAssertion.Header, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            return TypedResults.Ok(new IdentityDto(Claim(user, "sub"), Claim(user, "username"), Claim(user, "client_id"),
                (Claim(user, "scope") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
                user.FindAll("roles").Select(c => c.Value).ToArray(), headers, Claim(user, "token_binding")));
        }).RequireAuthorization();
        return endpoints;
    }

    private static string? Claim(ClaimsPrincipal user, string type) => user.FindFirst(type)?.Value;
}

public sealed record IdentityDto(string? Subject, string? UserName, string? ClientId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, string> Headers, string? TokenBinding);
