using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary><c>/api/admin/registration-tokens</c>: initial access tokens, shown once when created, listed without it, revocable.</summary>
public static class InitialAccessTokenAdminEndpoints
{
    public static IEndpointRouteBuilder MapInitialAccessTokenAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var tokens = endpoints.MapAdminGroup("/api/admin/registration-tokens", "Self-registration");
        tokens.MapPost("", CreateAsync).WithSummary("Create an initial access token (shown once)").Produces<InitialAccessTokenDto>(StatusCodes.Status201Created).ProducesValidationProblem();
        tokens.MapGet("", async (InitialAccessTokens store, CancellationToken cancellationToken) => TypedResults.Ok(await store.ListAsync(cancellationToken)))
            .WithSummary("List initial access tokens (never the tokens)");
        tokens.MapDelete("/{id}", RevokeAsync).WithSummary("Revoke an initial access token").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(NewInitialAccessToken body, InitialAccessTokens store, RegistrationPolicies policies, IAuditSink audit,
        HttpContext context, CancellationToken cancellationToken)
    {
        var v = new Validation();
        v.Require(body.MaxUses is null or >= 1, "maxUses", "must be at least 1 (omit it for any number)");
        v.Require(body.ExpiresIn is null or (>= 1 and <= 31_536_000), "expiresIn", "must be 1 second to a year");
        if (string.IsNullOrEmpty(body.Policy) || await policies.FindAsync(body.Policy, cancellationToken) is null)
        {
            v.Add("policy", "must name an existing registration policy");
        }

        if (!v.IsValid)
        {
            return TypedResults.ValidationProblem(v.Errors);
        }

        var created = await store.DataSource.InTransactionAsync(async tx =>
        {
            var token = await InitialAccessTokens.CreateAsync(tx, body.Policy!, body.MaxUses, TimeSpan.FromSeconds(body.ExpiresIn ?? 86_400), cancellationToken);
            await audit.WriteAsync(tx, new InitialAccessTokenCreated(token.Id, token.Policy, token.MaxUses, token.ExpiresAt) { Actor = context.Caller().Actor },
                cancellationToken);
            return token;
        }, cancellationToken);
        return TypedResults.Created($"/api/admin/registration-tokens/{created.Id}", created);
    }

    private static async Task<IResult> RevokeAsync(string id, InitialAccessTokens store, IAuditSink audit, HttpContext context, CancellationToken cancellationToken)
    {
        var revoked = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await InitialAccessTokens.RevokeAsync(tx, id, cancellationToken))
            {
                return false;
            }

            await audit.WriteAsync(tx, new InitialAccessTokenRevoked(id) { Actor = context.Caller().Actor }, cancellationToken);
            return true;
        }, cancellationToken);
        return revoked ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No live initial access token '{id}'.");
    }
}
