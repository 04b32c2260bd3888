using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.ScopePolicy.Scopes;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ScopePolicy.Policies;

/// <summary><c>/api/admin/api-policies</c>: link REST APIs (and some of their methods and resources) to scopes.</summary>
public static class PolicyAdminEndpoints
{
    public static IEndpointRouteBuilder MapPolicyAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var policies = endpoints.MapAdminGroup("/api/admin/api-policies", "API policies");
        policies.MapGet("", async (PolicyStore store, CancellationToken ct) => TypedResults.Ok((await store.ListAsync(ct)).Select(ApiPolicyDto.From).ToArray()))
            .WithSummary("List API policies");
        policies.MapGet("/{name}", async (string name, PolicyStore store, CancellationToken ct) =>
            await store.FindAsync(name, ct) is { } p ? TypedResults.Ok(ApiPolicyDto.From(p)) : NotFound(name))
            .WithSummary("Read an API policy").Produces<ApiPolicyDto>().ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapPost("", CreateAsync).WithSummary("Create an API policy").Produces<ApiPolicyDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        policies.MapPut("/{name}", UpdateAsync).WithSummary("Replace an API policy").Produces<ApiPolicyDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapDelete("/{name}", DeleteAsync).WithSummary("Delete an API policy").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapPolicyTrial();
        return endpoints;
    }

    private static async Task<(ApiPolicy? Policy, IResult? Problem)> ValidateAsync(ApiPolicyDto body, ScopeStore scopes, PolicyStore store, Issuer issuer,
        IConfiguration configuration, CancellationToken cancellationToken)
    {
        var known = (await scopes.ListAsync(includeInactive: false, cancellationToken)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var rules = body.ToRules();
        var problems = ApiPolicies.Problems(body.Name, body.BasePath, rules, known).ToDictionary();
        var resource = body.Resource ?? (body.BasePath is null ? null : store.DefaultResource(body.BasePath));
        if (ResourceIndicators.Problem(resource) is { } resourceProblem)
        {
            problems["resource"] = resourceProblem;
        }
        else if (resource == issuer.Value || resource == issuer.Url("/api") || resource == IdentityAssertion.AudienceFrom(configuration))
        {
            problems["resource"] = "the issuer and the default audience ({issuer}/api) cannot name one API";
        }

        return problems.Count > 0
            ? (null, TypedResults.ValidationProblem(problems.ToDictionary(p => p.Key, p => new[] { p.Value })))
            : (new ApiPolicy(body.Name!, body.BasePath!, rules, resource, body.AcceptDefaultAudience ?? false), null);
    }

    /// <summary>A conflict when another policy has the resource identifier (the table locked until commit).</summary>
    private static async Task<IResult?> ResourceTakenAsync(Npgsql.NpgsqlTransaction tx, PolicyStore store, ApiPolicy policy, string? replacing,
        CancellationToken cancellationToken) =>
        (await store.LockAllAsync(tx, cancellationToken)).Any(p => p.Resource == policy.Resource && p.Name != replacing)
            ? Conflict("Another API policy has this resource identifier.")
            : null;

    private static async Task<IResult> CreateAsync(ApiPolicyDto body, PolicyStore store, ScopeStore scopes, Issuer issuer, IConfiguration configuration, IAuditSink audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        var (policy, problem) = await ValidateAsync(body, scopes, store, issuer, configuration, cancellationToken);
        if (policy is null)
        {
            return problem!;
        }

        return await store.DataSource.InTransactionAsync<IResult>(async tx =>
        {
            if ((await ScopesGoneAsync(tx, policy, cancellationToken) ?? await ResourceTakenAsync(tx, store, policy, null, cancellationToken)) is { } gone)
            {
                return gone;
            }

            if (!await PolicyStore.InsertAsync(tx, policy, cancellationToken))
            {
                return Conflict("A policy with this name or base path exists.");
            }

            await audit.WriteAsync(tx, new ApiPolicyCreated(policy.Name, policy.BasePath, policy.Rules.Count, policy.Resource, policy.AcceptDefaultAudience) { Actor = http.Caller().Actor }, cancellationToken);
            return TypedResults.Created($"/api/admin/api-policies/{Uri.EscapeDataString(policy.Name)}", ApiPolicyDto.From(policy));
        }, cancellationToken);
    }

    private static async Task<IResult> UpdateAsync(string name, ApiPolicyDto body, PolicyStore store, ScopeStore scopes, Issuer issuer, IConfiguration configuration,
        IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        // Absent audience settings keep what the policy has (a save that forgets them must not cut its callers off).
        if (await store.FindAsync(name, cancellationToken) is { } existing)
        {
            body = body with
            {
                // A custom identifier stays; a default one follows the base path.
                Resource = body.Resource ?? (existing.Resource == store.DefaultResource(existing.BasePath) ? null : existing.Resource),
                AcceptDefaultAudience = body.AcceptDefaultAudience ?? existing.AcceptDefaultAudience,
            };
        }

        var (policy, problem) = await ValidateAsync(body with { Name = body.Name ?? name }, scopes, store, issuer, configuration, cancellationToken);
        if (policy is null)
        {
            return problem!;
        }

        try
        {
            return await store.DataSource.InTransactionAsync<IResult>(async tx =>
            {
                if ((await ScopesGoneAsync(tx, policy, cancellationToken) ?? await ResourceTakenAsync(tx, store, policy, name, cancellationToken)) is { } gone)
                {
                    return gone;
                }

                if (!await PolicyStore.UpdateAsync(tx, name, policy, cancellationToken))
                {
                    return NotFound(name);
                }

                await audit.WriteAsync(tx, new ApiPolicyUpdated(policy.Name, policy.BasePath, policy.Rules.Count, policy.Resource, policy.AcceptDefaultAudience) { Actor = http.Caller().Actor }, cancellationToken);
                return TypedResults.Ok(ApiPolicyDto.From(policy));
            }, cancellationToken);
        }
        catch (Npgsql.PostgresException e) when (e.IsUniqueViolation(out _))
        {
            return Conflict("A policy with this name or base path exists.");
        }
    }

    private static async Task<IResult> DeleteAsync(string name, PolicyStore store, IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(name, cancellationToken);
        if (existing is null)
        {
            return NotFound(name);
        }

        await store.DataSource.InTransactionAsync(async tx =>
        {
            await PolicyStore.DeleteAsync(tx, name, cancellationToken);
            await audit.WriteAsync(tx, new ApiPolicyDeleted(existing.Name, existing.BasePath) { Actor = http.Caller().Actor }, cancellationToken);
        }, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Locks the linked scopes until commit; a conflict if one was deleted or deactivated since validation.</summary>
    private static async Task<IResult?> ScopesGoneAsync(Npgsql.NpgsqlTransaction tx, ApiPolicy policy, CancellationToken cancellationToken)
    {
        var linked = policy.Rules.SelectMany(r => r.Scopes).ToHashSet(StringComparer.Ordinal);
        linked.ExceptWith(await ScopeStore.LockActiveAsync(tx, linked, cancellationToken));
        return linked.Count == 0 ? null : Conflict($"The scope '{linked.First()}' was deleted or deactivated meanwhile.");
    }

    private static IResult NotFound(string name) => TypedResults.Problem(statusCode: 404, title: "Not Found", detail: $"No API policy '{name}'.");

    private static IResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);
}
