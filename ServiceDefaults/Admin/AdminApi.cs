using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Admin;

/// <summary>
/// The admin REST APIs (<c>/api/admin/**</c>). The edge admits a call only with an access token of
/// ours carrying <c>admin.api</c> and an admin role; each service checks again that the call came
/// through the edge with such an identity, so reaching a service directly gets nothing.
/// </summary>
public static class AdminApi
{
    public static readonly IReadOnlySet<string> AdminRoles = new HashSet<string>(StringComparer.Ordinal) { "oauth_admin", "mi_admin", "admin" };

    public const string AdminScope = "admin.api";

    /// <summary>
    /// Reads the audit log (<see cref="AuditPrefix"/>) and nothing else: an administrator without it reads
    /// no audit, an auditor without an admin role changes nothing (separation of duties).
    /// </summary>
    public const string AuditorRole = "auditor";

    /// <summary>The audit query API: the one admin API that answers auditors, not administrators.</summary>
    public const string AuditPrefix = "/api/admin/audit";

    /// <summary>True for a canonical path under <see cref="AuditPrefix"/>, in any case (as routing matches it).</summary>
    public static bool IsAuditPath(string path) => Protocol.Policies.ApiPath.IsUnder(path, AuditPrefix);

    public static bool IsAdmin(IReadOnlyList<string> scopes, IReadOnlyList<string> roles) =>
        scopes.Contains(AdminScope) && roles.Any(AdminRoles.Contains);

    public static bool IsAuditor(IReadOnlyList<string> scopes, IReadOnlyList<string> roles) =>
        scopes.Contains(AdminScope) && roles.Contains(AuditorRole);

    /// <summary>
    /// The scopes a signed-in user's grant carries: <see cref="AdminScope"/> only for a user with an admin
    /// role or the auditor role (any other user's token would be refused by the admin APIs anyway; it never carries the scope).
    /// </summary>
    public static IEnumerable<string> GrantableTo(IEnumerable<string> scopes, IEnumerable<string> roles) =>
        roles.Any(role => AdminRoles.Contains(role) || role == AuditorRole) ? scopes : scopes.Where(scope => scope != AdminScope);

    /// <summary>A group of admin endpoints: refused without the edge's admitted administrator, and described as such in the OpenAPI document.</summary>
    public static RouteGroupBuilder MapAdminGroup(this IEndpointRouteBuilder endpoints, string prefix, string tag) =>
        endpoints.MapGuardedGroup(prefix, tag, IsAdmin, "Admin APIs are served only through the edge to an administrator's token.");

    /// <summary>The audit query API's group: refused without the edge's admitted auditor.</summary>
    public static RouteGroupBuilder MapAuditGroup(this IEndpointRouteBuilder endpoints, string tag) =>
        endpoints.MapGuardedGroup(AuditPrefix, tag, IsAuditor, "The audit log is served only through the edge to an auditor's token.");

    private static RouteGroupBuilder MapGuardedGroup(this IEndpointRouteBuilder endpoints, string prefix, string tag,
        Func<IReadOnlyList<string>, IReadOnlyList<string>, bool> admits, string refusal) =>
        endpoints.MapGroup(prefix).WithTags(tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddEndpointFilter(async (context, next) =>
        {
            var identity = EdgeIdentity.Of(context.HttpContext);
            if (identity is null || !admits(identity.Scopes, identity.Roles))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: refusal);
            }

            return await next(context);
        });

    /// <summary>The administrator making this (already admitted) call.</summary>
    public static EdgeIdentity Caller(this HttpContext context) =>
        EdgeIdentity.Of(context) ?? throw new InvalidOperationException("Admin endpoint reached without an edge identity.");
}
