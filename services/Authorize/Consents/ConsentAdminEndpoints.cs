using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Consents;

public sealed record ConsentDto(string ClientId, string[] Scopes, DateTimeOffset GrantedAt);

/// <param name="UserName">Null when the directory no longer knows the user.</param>
public sealed record UserConsentDto(string UserSysId, string? UserName, string ClientId, string[] Scopes, DateTimeOffset GrantedAt);

/// <summary>
/// Remembered consents for administrators: <c>/api/admin/consents?user=&amp;client=</c> across users and
/// clients, and a user's own under <c>/api/admin/users/{userName}/consents[/{clientId}]</c>. Withdrawing a
/// consent disconnects the application from the user: the token service, acting on <see cref="ConsentRevoked"/>,
/// ends its refresh families and the access tokens of the user's sign-ins to it.
/// </summary>
public static class ConsentAdminEndpoints
{
    public static IEndpointRouteBuilder MapConsentAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var all = endpoints.MapAdminGroup("/api/admin/consents", "Consents")
            .AddEndpointFilter((context, next) => UnknownParameters(context.HttpContext.Request.Query, Filters) is { } refusal ? ValueTask.FromResult<object?>(refusal) : next(context));
        all.MapGet("", ListAllAsync).WithSummary("List remembered consents across users").Produces<Page<UserConsentDto>>().ProducesProblem(StatusCodes.Status404NotFound);
        all.MapDelete("", (string? user, string? client, UserDirectory users, ConsentStore store, IAuditSink audit, HttpContext http, CancellationToken ct) =>
                user is null && client is null
                    ? Task.FromResult<IResult>(TypedResults.ValidationProblem(new Validation().Add("user", "name a user, a client or both").Errors))
                    : RevokeAsync(user, client, users, store, audit, http, ct))
            .WithSummary("Withdraw the consents of a user, of a client, or of both").Produces(StatusCodes.Status204NoContent).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        var ofUser = endpoints.MapAdminGroup("/api/admin/users/{userName}/consents", "Consents")
            .AddEndpointFilter((context, next) => UnknownParameters(context.HttpContext.Request.Query, []) is { } refusal ? ValueTask.FromResult<object?>(refusal) : next(context));
        ofUser.MapGet("", ListOfUserAsync).WithSummary("List a user's consents").Produces<ConsentDto[]>().ProducesProblem(StatusCodes.Status404NotFound);
        ofUser.MapDelete("", (string userName, UserDirectory users, ConsentStore store, IAuditSink audit, HttpContext http, CancellationToken ct) =>
            RevokeAsync(userName, null, users, store, audit, http, ct))
            .WithSummary("Withdraw every consent of a user").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        ofUser.MapDelete("/{clientId}", (string userName, string clientId, UserDirectory users, ConsentStore store, IAuditSink audit, HttpContext http,
            CancellationToken ct) => RevokeAsync(userName, clientId, users, store, audit, http, ct))
            .WithSummary("Withdraw a user's consent to one application").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <param name="user">Only this user's (user name).</param>
    /// <param name="client">Only those given to this client.</param>
    private static async Task<IResult> ListAllAsync(string? user, string? client, int? offset, int? limit, UserDirectory users, ConsentStore consents,
        CancellationToken cancellationToken)
    {
        var found = user is null ? null : await users.FindByNameAsync(user, cancellationToken);
        if (user is not null && found is null)
        {
            return NotFound($"No user '{user}'.");
        }

        var page = await consents.ListAsync(found?.SysId, client, Paging.From(offset, limit), cancellationToken);
        var names = new Dictionary<string, string?>(StringComparer.Ordinal);
        var items = new List<UserConsentDto>(page.Items.Count);
        foreach (var consent in page.Items)
        {
            if (!names.TryGetValue(consent.UserSysId, out var name))
            {
                names[consent.UserSysId] = name = found?.UserName ?? (await users.GetAsync(consent.UserSysId, cancellationToken))?.UserName;
            }

            items.Add(new UserConsentDto(consent.UserSysId, name, consent.ClientId, consent.Scopes, DatabaseTime.Utc(consent.GrantedAt)));
        }

        return TypedResults.Ok(new Page<UserConsentDto>(items, page.Offset, page.Limit, page.Total));
    }

    private static async Task<IResult> ListOfUserAsync(string userName, UserDirectory users, ConsentStore consents, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(userName, cancellationToken);
        if (user is null)
        {
            return NotFound($"No user '{userName}'.");
        }

        var list = await consents.ListAsync(user.SysId, null, new Paging(0, int.MaxValue), cancellationToken);
        return TypedResults.Ok(list.Items.OrderBy(c => c.ClientId, StringComparer.Ordinal)
            .Select(c => new ConsentDto(c.ClientId, c.Scopes, DatabaseTime.Utc(c.GrantedAt))).ToArray());
    }

    private static async Task<IResult> RevokeAsync(string? userName, string? clientId, UserDirectory users, ConsentStore consents, IAuditSink audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        var user = userName is null ? null : await users.FindByNameAsync(userName, cancellationToken);
        if (userName is not null && user is null)
        {
            return NotFound($"No user '{userName}'.");
        }

        // Each event names its user: a client's consents span users, named before the transaction (no call while it holds locks);
        // one the directory no longer knows is named by its sys_id.
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var sysId in user is null ? await consents.UsersOfAsync(clientId!, cancellationToken) : [user.SysId])
        {
            names[sysId] = user?.UserName ?? (await users.GetAsync(sysId, cancellationToken))?.UserName ?? sysId;
        }

        var revoked = await consents.DataSource.InTransactionAsync(async tx =>
        {
            var deleted = await ConsentStore.RevokeAsync(tx, user?.SysId, clientId, cancellationToken);
            foreach (var consent in deleted)
            {
                await audit.WriteAsync(tx, new ConsentRevoked(consent.UserSysId, names.GetValueOrDefault(consent.UserSysId, consent.UserSysId), consent.ClientId)
                    { Actor = http.Caller().Actor }, cancellationToken);
            }

            return deleted;
        }, cancellationToken);
        return clientId is not null && revoked.Count == 0
            ? NotFound(userName is null ? $"No consent given to '{clientId}'." : $"No consent of '{userName}' for '{clientId}'.")
            : TypedResults.NoContent();
    }

    private static readonly string[] Filters = ["user", "client", "offset", "limit"];

    /// <summary>A misspelt filter must not widen a withdrawal (<c>?user=alice&amp;clientId=x</c> is not alice's consent to x).</summary>
    private static IResult? UnknownParameters(IQueryCollection query, string[] known)
    {
        var unknown = query.Keys.Where(key => !known.Contains(key, StringComparer.Ordinal)).ToArray();
        return unknown.Length == 0 ? null
            : TypedResults.ValidationProblem(unknown.Select(key => key.Length > 100 ? key[..100] : key).Distinct(StringComparer.Ordinal).Take(5)
                .ToDictionary(key => key, _ => new[] { "unknown query parameter" }, StringComparer.Ordinal));
    }


    private static IResult NotFound(string detail) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: detail);
}
