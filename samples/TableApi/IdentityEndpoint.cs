using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Samples.TableApi;

/// <summary>
/// <c>GET /api/now/identity</c>: who the edge says is calling, and every identity header that
/// reached this API, so a caller (and the tests) can see that nothing forged gets through.
/// </summary>
public static class IdentityEndpoint
{
    public static IEndpointRouteBuilder MapIdentityEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/now/identity", (HttpContext context) =>
        {
            var identity = EdgeIdentity.Of(context);
            var headers = context.Request.Headers
                // The edge's internal key is a secret: never echoed.
                .Where(h => h.Key.StartsWith(EdgeIdentity.HeaderPrefix, StringComparison.OrdinalIgnoreCase)
                    && !h.Key.Equals(InternalKey.EdgeHeader, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            return TypedResults.Ok(new IdentityDto(identity?.Subject, identity?.UserName, identity?.ClientId, identity?.Scopes ?? [], identity?.Roles ?? [], headers));
        }).RequireAuthorization();
        return endpoints;
    }
}

public sealed record IdentityDto(string? Subject, string? UserName, string? ClientId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, string> Headers);
