using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ScopePolicy.Scopes;

/// <summary>
/// <c>/api/admin/scopes</c>: create, list, read, update, delete (409 while a client or policy uses
/// it, 503 while which clients use scopes is not known yet: see <see cref="ClientUseView"/>).
/// </summary>
public static class ScopeAdminEndpoints
{
    /// <summary>Scopes the system itself relies on: they can be described differently, never deleted or deactivated.</summary>
    public static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal) { "openid", "profile", "email", "useraccount", "admin.api" };

    public static IEndpointRouteBuilder MapScopeAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var scopes = endpoints.MapAdminGroup("/api/admin/scopes", "Scopes");
        scopes.MapGet("", async (ScopeStore store, CancellationToken ct) =>
            TypedResults.Ok((await store.ListAsync(includeInactive: true, ct)).Select(s => new ScopeDto(s.Name, s.Description, s.Active)).ToArray()))
            .WithSummary("List scopes");
        scopes.MapGet("/{name}", async (string name, ScopeStore store, CancellationToken ct) =>
            await store.FindAsync(name, ct) is { } s ? TypedResults.Ok(new ScopeDto(s.Name, s.Description, s.Active)) : NotFound(name))
            .WithSummary("Read a scope").Produces<ScopeDto>().ProducesProblem(StatusCodes.Status404NotFound);
        scopes.MapPost("", CreateAsync).WithSummary("Create a scope").Produces<ScopeDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        scopes.MapPut("/{name}", UpdateAsync).WithSummary("Replace a scope").Produces<ScopeDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        scopes.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a scope").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(ScopeDto body, ScopeStore store, IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        var validation = Validate(body, body.Name);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var scope = new ScopeRow(body.Name!, body.Description!, body.Active ?? true);
        var created = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await ScopeStore.InsertAsync(tx, scope, cancellationToken))
            {
                return false;
            }

            await audit.WriteAsync(tx, new ScopeCreated(scope.Name, scope.Description) { Actor = http.Caller().Actor }, cancellationToken);
            return true;
        }, cancellationToken);
        return created
            ? TypedResults.Created($"/api/admin/scopes/{scope.Name}", new ScopeDto(scope.Name, scope.Description, scope.Active))
            : Conflict($"The scope '{scope.Name}' exists.");
    }

    private static async Task<IResult> UpdateAsync(string name, ScopeDto body, ScopeStore store, IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        var validation = Validate(body with { Name = body.Name ?? name }, name);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (body.Name is not null && body.Name != name)
        {
            return TypedResults.ValidationProblem(new Validation().Add("name", "cannot be changed: tokens and policies refer to it").Errors);
        }

        if (BuiltIn.Contains(name) && body.Active == false)
        {
            return Conflict($"'{name}' is built in and cannot be deactivated.");
        }

        var scope = new ScopeRow(name, body.Description!, body.Active ?? true);
        var updated = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await ScopeStore.UpdateAsync(tx, scope, cancellationToken))
            {
                return false;
            }

            await audit.WriteAsync(tx, new ScopeUpdated(scope.Name, scope.Description, scope.Active) { Actor = http.Caller().Actor }, cancellationToken);
            return true;
        }, cancellationToken);
        return updated ? TypedResults.Ok(new ScopeDto(scope.Name, scope.Description, scope.Active)) : NotFound(name);
    }

    private static async Task<IResult> DeleteAsync(string name, ScopeStore store, IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (BuiltIn.Contains(name))
        {
            return Conflict($"'{name}' is built in and cannot be deleted.");
        }

        // The scope row stays locked until the delete commits, so no policy can link it and no
        // client claim it meanwhile: a claim waiting on the lock then finds it gone (the client's
        // save is refused), and one that came first is seen here.
        return await store.DataSource.InTransactionAsync<IResult>(async tx =>
        {
            if (!await ScopeStore.LockForDeleteAsync(tx, name, cancellationToken))
            {
                return NotFound(name);
            }

            if (!await ClientUseView.IsInitializedAsync(tx, cancellationToken))
            {
                return TypedResults.Problem(statusCode: 503, title: "Service Unavailable",
                    detail: "Which clients use this scope is not known yet; retry shortly.");
            }

            var clients = await ClientUseView.ClientsUsingAsync(tx, name, cancellationToken);
            if (clients.Count > 0)
            {
                return Conflict($"Clients are allowed the scope '{name}': {string.Join(", ", clients)}.");
            }

            var linking = await PolicyStore.LinkingAsync(tx, name, cancellationToken);
            if (linking.Count > 0)
            {
                return Conflict($"API policies link the scope '{name}': {string.Join(", ", linking.Take(10))}; remove it from them first.");
            }

            await ScopeStore.DeleteAsync(tx, name, cancellationToken);
            await audit.WriteAsync(tx, new ScopeDeleted(name) { Actor = http.Caller().Actor }, cancellationToken);
            return TypedResults.NoContent();
        }, cancellationToken);
    }

    private static Validation Validate(ScopeDto body, string? name) => new Validation()
        .Require(ScopeSet.IsValidToken(name), "name", "must be 1-128 visible ASCII characters, no space, quote or backslash (RFC 6749 §3.3)")
        .Require(!string.IsNullOrWhiteSpace(body.Description) && body.Description.Length <= 500, "description", "is required (shown on consent pages), at most 500 characters");

    private static IResult NotFound(string name) => TypedResults.Problem(statusCode: 404, title: "Not Found", detail: $"No scope '{name}'.");

    private static IResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);
}
