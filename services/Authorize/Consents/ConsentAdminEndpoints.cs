using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Consents;

public sealed record ConsentDto(string ClientId, string[] Scopes, DateTimeOffset GrantedAt);

/// <summary><c>/api/admin/users/{userName}/consents[/{clientId}]</c>: list and revoke remembered consents.</summary>
public static class ConsentAdminEndpoints
{
    public static IEndpointRouteBuilder MapConsentAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var consents = endpoints.MapAdminGroup("/api/admin/users/{userName}/consents");
        consents.MapGet("", ListAsync);
        consents.MapDelete("", (string userName, UserDirectory users, ConsentStore store, IAuditSink audit, HttpContext http, CancellationToken ct) =>
            RevokeAsync(userName, null, users, store, audit, http, ct));
        consents.MapDelete("/{clientId}", (string userName, string clientId, UserDirectory users, ConsentStore store, IAuditSink audit, HttpContext http,
            CancellationToken ct) => RevokeAsync(userName, clientId, users, store, audit, http, ct));
        return endpoints;
    }

    private static async Task<IResult> ListAsync(string userName, UserDirectory users, ConsentStore consents, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(userName, cancellationToken);
        if (user is null)
        {
            return NotFound($"No user '{userName}'.");
        }

        var list = await consents.ListAsync(user.SysId, cancellationToken);
        return TypedResults.Ok(list.Select(c => new ConsentDto(c.ClientId, c.Scopes, new DateTimeOffset(DateTime.SpecifyKind(c.GrantedAt, DateTimeKind.Utc)))).ToArray());
    }

    private static async Task<IResult> RevokeAsync(string userName, string? clientId, UserDirectory users, ConsentStore consents, IAuditSink audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(userName, cancellationToken);
        if (user is null)
        {
            return NotFound($"No user '{userName}'.");
        }

        var revoked = await consents.DataSource.InTransactionAsync(async tx =>
        {
            var clients = await ConsentStore.RevokeAsync(tx, user.SysId, clientId, cancellationToken);
            foreach (var client in clients)
            {
                await audit.WriteAsync(tx, new ConsentRevoked(user.SysId, user.UserName, client) { Actor = http.Caller().Actor }, cancellationToken);
            }

            return clients;
        }, cancellationToken);
        return clientId is not null && revoked.Count == 0 ? NotFound($"No consent of '{userName}' for '{clientId}'.") : TypedResults.NoContent();
    }

    private static IResult NotFound(string detail) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: detail);
}
