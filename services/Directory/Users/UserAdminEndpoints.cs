using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Directory.Users;

/// <summary><c>/api/admin/users</c>: create, list, read, update, delete, set password.</summary>
public static class UserAdminEndpoints
{
    public static IEndpointRouteBuilder MapUserAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var users = endpoints.MapAdminGroup("/api/admin/users", "Users");
        users.MapPost("", CreateAsync).WithSummary("Create a user").Produces<UserDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        users.MapGet("", ListAsync).WithSummary("List users, optionally those whose user name, email or name contains `search`").Produces<Page<UserDto>>().ProducesValidationProblem();
        users.MapGet("/{userName}", GetAsync).WithSummary("Read a user").Produces<UserDto>().ProducesProblem(StatusCodes.Status404NotFound);
        users.MapPut("/{userName}", UpdateAsync).WithSummary("Replace a user").Produces<UserDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        users.MapDelete("/{userName}", DeleteAsync).WithSummary("Delete a user").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        users.MapPost("/{userName}/password", SetPasswordAsync).WithSummary("Set a user's password").Produces(StatusCodes.Status204NoContent).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(UserDto body, UserStore store, Passwords passwords, IAuditSink audit,
        HttpContext context, CancellationToken cancellationToken)
    {
        var validation = UserRules.Check(body, passwordRequired: false);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var user = new UserRecord { SysId = UserRules.NewSysId(), UserName = body.UserName!, Email = body.Email, FirstName = body.FirstName ?? "", LastName = body.LastName ?? "", PasswordHash = body.Password is null ? null : passwords.Hash(body.Password), Roles = Roles(body.Roles), Active = body.Active ?? true };
        var conflict = await WriteAsync(store, async tx =>
        {
            await UserStore.InsertAsync(tx, user, cancellationToken);
            await audit.WriteAsync(tx, new UserCreated(user.SysId, user.UserName, user.Roles, user.Active) { Actor = context.Caller().Actor }, cancellationToken);
        });
        return conflict ?? TypedResults.Created($"/api/admin/users/{Uri.EscapeDataString(user.UserName)}", user.ToDto());
    }

    /// <param name="search">Only users whose user name, email or name contains it, ignoring case.</param>
    private static async Task<IResult> ListAsync(int? offset, int? limit, string? search, UserStore store, CancellationToken cancellationToken)
    {
        if (search is { Length: > SqlLike.MaxSearchLength })
        {
            return TypedResults.ValidationProblem(new Validation().Add("search", $"must be at most {SqlLike.MaxSearchLength} characters").Errors);
        }

        var page = await store.ListAsync(Paging.From(offset, limit), cancellationToken, search?.Trim());
        return TypedResults.Ok(new Page<UserDto>(page.Items.Select(u => u.ToDto()).ToArray(), page.Offset, page.Limit, page.Total));
    }

    private static async Task<IResult> GetAsync(string userName, UserStore store, CancellationToken cancellationToken) =>
        await store.FindByNameAsync(userName, cancellationToken) is { } user ? TypedResults.Ok(user.ToDto()) : NotFound(userName);

    private static async Task<IResult> UpdateAsync(string userName, UserDto body, UserStore store, Passwords passwords, PasswordChanges changes, IAuditSink audit,
        HttpContext context, CancellationToken cancellationToken)
    {
        var existing = await store.FindByNameAsync(userName, cancellationToken);
        if (existing is null)
        {
            return NotFound(userName);
        }

        var validation = UserRules.Check(body with { UserName = body.UserName ?? existing.UserName }, passwordRequired: false);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var updated = existing with
        {
            UserName = body.UserName ?? existing.UserName,
            Email = body.Email,
            FirstName = body.FirstName ?? "",
            LastName = body.LastName ?? "",
            Roles = Roles(body.Roles),
            Active = body.Active ?? existing.Active,
            PasswordHash = body.Password is null ? existing.PasswordHash : passwords.Hash(body.Password),
        };
        var conflict = await WriteAsync(store, async tx =>
        {
            await UserStore.UpdateAsync(tx, updated, setPassword: body.Password is not null, cancellationToken);
            await audit.WriteAsync(tx, new UserUpdated(updated.SysId, updated.UserName, updated.Roles, updated.Active, body.Password is not null)
                { Actor = context.Caller().Actor }, cancellationToken);
            if (body.Password is not null)
            {
                await changes.LiftLockoutAsync(tx, existing, updated, cancellationToken);
            }

            if (WithdrawsAccess(existing, updated))
            {
                await CutOffAsync(tx, updated, audit, context.Caller().Actor, existing.Active && !updated.Active ? "user deactivated" : "roles removed",
                    cancellationToken);
            }
        });
        return conflict ?? TypedResults.Ok(updated.ToDto());
    }

    private static async Task<IResult> DeleteAsync(string userName, UserStore store, IAuditSink audit, HttpContext context, CancellationToken cancellationToken)
    {
        var existing = await store.FindByNameAsync(userName, cancellationToken);
        if (existing is null)
        {
            return NotFound(userName);
        }

        await WriteAsync(store, async tx =>
        {
            await UserStore.DeleteAsync(tx, existing.SysId, cancellationToken);
            await audit.WriteAsync(tx, new UserDeleted(existing.SysId, existing.UserName) { Actor = context.Caller().Actor }, cancellationToken);
            await CutOffAsync(tx, existing, audit, context.Caller().Actor, "user deleted", cancellationToken);
        });
        return TypedResults.NoContent();
    }

    /// <summary>Deactivation or a role taken away: tokens issued until now must not keep what the user lost.</summary>
    private static bool WithdrawsAccess(UserRecord before, UserRecord after) =>
        (before.Active && !after.Active) || before.Roles.Except(after.Roles, StringComparer.Ordinal).Any();

    /// <summary>Every token naming the user, issued until now, is refused from the next call on (edge and introspection).</summary>
    private static Task CutOffAsync(Npgsql.NpgsqlTransaction tx, UserRecord user, IAuditSink audit, AuditActor actor, string reason,
        CancellationToken cancellationToken) =>
        audit.WriteAsync(tx, new TokensCutOff(Protocol.Tokens.CutOffs.User, user.SysId, DateTimeOffset.UtcNow) { Actor = actor, Reason = reason },
            cancellationToken);

    private static async Task<IResult> SetPasswordAsync(string userName, PasswordDto body, UserStore store, PasswordChanges changes,
        HttpContext context, CancellationToken cancellationToken)
    {
        var validation = UserRules.CheckPassword(new Validation(), body.Password, required: true);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var existing = await store.FindByNameAsync(userName, cancellationToken);
        if (existing is null)
        {
            return NotFound(userName);
        }

        return await changes.SetAsync(existing, body.Password!, context.Caller().Actor, null, onlyIfActive: false, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(userName);
    }

    private static string[] Roles(string[]? roles) => (roles ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static IResult NotFound(string userName) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No user '{userName}'.");

    /// <summary>Runs a write and its audit event in one transaction; a uniqueness clash becomes 409.</summary>
    private static async Task<IResult?> WriteAsync(UserStore store, Func<NpgsqlTransaction, Task> write)
    {
        try
        {
            await store.DataSource.InTransactionAsync(write);
            return null;
        }
        catch (PostgresException e) when (e.IsUniqueViolation(out var constraint))
        {
            var field = constraint == "app_user_email" ? "email" : "userName";
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: $"Another user already has this {field}.");
        }
    }
}
