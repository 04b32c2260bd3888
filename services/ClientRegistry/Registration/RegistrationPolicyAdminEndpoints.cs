using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Registration;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary><c>/api/admin/registration-policies</c>: what self-registered clients may have (PUT creates or replaces).</summary>
public static class RegistrationPolicyAdminEndpoints
{
    private const string NamePattern = "^[a-z0-9][a-z0-9._-]{0,63}$";

    public static IEndpointRouteBuilder MapRegistrationPolicyAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var policies = endpoints.MapAdminGroup("/api/admin/registration-policies", "Self-registration");
        policies.MapGet("", async (RegistrationPolicies store, CancellationToken cancellationToken) =>
            TypedResults.Ok((await store.ListAsync(cancellationToken)).Select(p => p.ToDto()).ToArray()))
            .WithSummary("List self-registration policies");
        policies.MapGet("/{name}", async (string name, RegistrationPolicies store, CancellationToken cancellationToken) =>
            await store.FindAsync(name, cancellationToken) is { } policy ? TypedResults.Ok(policy.ToDto()) : NotFound(name))
            .WithSummary("Read a self-registration policy").Produces<RegistrationPolicyDto>().ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapPut("/{name}", SaveAsync).WithSummary("Create or replace a self-registration policy").Produces<RegistrationPolicyDto>().Produces<RegistrationPolicyDto>(StatusCodes.Status201Created).ProducesValidationProblem();
        policies.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a self-registration policy").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<IResult> SaveAsync(string name, RegistrationPolicyDto body, RegistrationPolicies store, IAuditSink audit, HttpContext context,
        CancellationToken cancellationToken)
    {
        var v = new Validation();
        v.Require(System.Text.RegularExpressions.Regex.IsMatch(name, NamePattern), "name", $"must match {NamePattern}");
        v.Require(body.Name is null || body.Name == name, "name", "must be the name in the path");
        v.Require(body.RedirectUris is null or "https" or "native", "redirectUris", "must be https or native");
        v.Require(body.UnusedExpiryDays is null or (>= 1 and <= 3650), "unusedExpiryDays", "must be 1-3650 days");
        v.Require(body.MaxClients is null or >= 1, "maxClients", "must be at least 1");
        v.Require((body.SoftwareStatementIssuer is null) == (body.SoftwareStatementKeys is null), "softwareStatementKeys",
            "softwareStatementIssuer and softwareStatementKeys go together");
        v.Require(body.SoftwareStatementRequired != true || body.SoftwareStatementIssuer is not null, "softwareStatementRequired",
            "needs a softwareStatementIssuer");
        var rules = new RegistrationPolicy(name, Distinct(body.GrantTypes ?? ["authorization_code", "refresh_token"]), Distinct(body.Scopes),
            Distinct(body.AuthMethods ?? ["client_secret_basic", "private_key_jwt", "none"]),
            body.RedirectUris == "native" ? RedirectRule.Native : RedirectRule.Https, body.AccessTokenLifespan ?? 1800, body.RefreshTokenLifespan ?? 2_592_000,
            string.IsNullOrEmpty(body.ApplicationUser) ? null : body.ApplicationUser,
            body is { SoftwareStatementIssuer: { } issuer, SoftwareStatementKeys: { } keys }
                ? new SoftwareStatementTrust(issuer, keys.GetRawText(), body.SoftwareStatementRequired ?? false)
                : null);
        if (RegistrationPolicyRules.CheckPolicy(rules) is { } problem)
        {
            var (field, message) = problem.Split(": ", 2) is [var f, var m] ? (f, m) : ("policy", problem);
            v.Add(field, message);
        }

        if (!v.IsValid)
        {
            return TypedResults.ValidationProblem(v.Errors);
        }

        var policy = new StoredPolicy(rules, body.UnusedExpiryDays, body.MaxClients, 0);
        var (version, created) = await store.DataSource.InTransactionAsync(async tx =>
        {
            var saved = await RegistrationPolicies.SaveAsync(tx, policy, cancellationToken);
            await audit.WriteAsync(tx, new RegistrationPolicySaved(name, rules.GrantTypes, rules.Scopes, saved.Version, policy.UnusedExpiryDays,
                rules.Statements?.Issuer, rules.Statements?.Required ?? false) { Actor = context.Caller().Actor },
                cancellationToken);
            return saved;
        }, cancellationToken);
        var dto = (policy with { Version = version }).ToDto();
        return created ? TypedResults.Created($"/api/admin/registration-policies/{name}", dto) : TypedResults.Ok(dto);
    }

    private static async Task<IResult> DeleteAsync(string name, RegistrationPolicies store, IAuditSink audit, HttpContext context, CancellationToken cancellationToken)
    {
        var deleted = await store.DataSource.InTransactionAsync(async tx =>
        {
            var gone = await RegistrationPolicies.DeleteAsync(tx, name, cancellationToken);
            if (gone == true)
            {
                await audit.WriteAsync(tx, new RegistrationPolicyDeleted(name) { Actor = context.Caller().Actor }, cancellationToken);
            }

            return gone;
        }, cancellationToken);
        return deleted switch
        {
            true => TypedResults.NoContent(),
            false => NotFound(name),
            null => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: $"Live initial access tokens or clients still use the policy '{name}': revoke or delete them first."),
        };
    }

    private static string[] Distinct(string[]? values) => (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Distinct(StringComparer.Ordinal).ToArray();

    private static IResult NotFound(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No registration policy '{name}'.");
}
