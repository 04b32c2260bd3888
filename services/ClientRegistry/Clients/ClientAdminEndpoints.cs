using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary><c>/api/admin/clients</c>: register, list, read, replace, delete, rotate the secret.</summary>
public static class ClientAdminEndpoints
{
    public static IEndpointRouteBuilder MapClientAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var clients = endpoints.MapAdminGroup("/api/admin/clients", "Applications");
        clients.MapPost("", CreateAsync).WithSummary("Register an application (its secret is shown once)").Produces<ClientDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        clients.MapGet("", ListAsync).WithSummary("List applications, optionally those whose name or client id contains `search`").Produces<Page<ClientDto>>().ProducesValidationProblem();
        clients.MapGet("/{clientId}", GetAsync).WithSummary("Read an application").Produces<ClientDto>().ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapPut("/{clientId}", UpdateAsync).WithSummary("Replace an application").Produces<ClientDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapDelete("/{clientId}", DeleteAsync).WithSummary("Delete an application").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapPost("/{clientId}/secret", RotateSecretAsync).WithSummary("Rotate an application's secret (shown once)").Produces<ClientDto>().ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(ClientDto body, ClientValidator validator, ClientWrites writes, HttpContext context,
        CancellationToken cancellationToken)
    {
        var clientId = body.ClientId ?? Guid.NewGuid().ToString("N");
        if (!ClientRules.IsValidClientId(clientId))
        {
            return TypedResults.ValidationProblem(new Validation().Add("clientId", "must match ^[A-Za-z0-9._~-]{8,128}$").Errors);
        }

        var (client, validation) = await validator.TryValidateAsync(body, clientId, null, cancellationToken);
        if (client is null)
        {
            return validation is null ? Unavailable() : TypedResults.ValidationProblem(validation.Errors);
        }

        // A FAPI 2.0 client authenticates with private_key_jwt or mutual TLS only: it gets no secret to leak.
        var secret = client.Public || client.Profile == ClientProfiles.Fapi2 ? null : ClientSecrets.Generate();
        client = client with { SecretHash = secret is null ? null : ClientSecrets.Hash(secret) };
        var written = await writes.CreateAsync(client, context.Caller().Actor, null, cancellationToken);
        return Answer(written, clientId) ?? TypedResults.Created($"/api/admin/clients/{client.ClientId}", client.ToDto() with { ClientSecret = secret });
    }

    /// <param name="search">Only applications whose name or client id contains it, ignoring case.</param>
    private static async Task<IResult> ListAsync(int? offset, int? limit, string? search, ClientStore store, CancellationToken cancellationToken)
    {
        if (search is { Length: > SqlLike.MaxSearchLength })
        {
            return TypedResults.ValidationProblem(new Validation().Add("search", $"must be at most {SqlLike.MaxSearchLength} characters").Errors);
        }

        var page = await store.ListAsync(Paging.From(offset, limit), cancellationToken, search?.Trim());
        return TypedResults.Ok(new Page<ClientDto>(page.Items.Select(c => c.ToDto()).ToArray(), page.Offset, page.Limit, page.Total));
    }

    private static async Task<IResult> GetAsync(string clientId, ClientStore store, HttpContext context, CancellationToken cancellationToken)
    {
        clientId = Id(clientId, context);
        return await store.FindAsync(clientId, cancellationToken) is { } client ? TypedResults.Ok(client.ToDto()) : NotFound(clientId);
    }

    /// <summary>
    /// The client id in the path; or, for a client whose id is the URL of its metadata document (slashes the edge refuses
    /// to pass escaped in a path), <c>by-url?url=…</c>. No administrator's client id is that short; without one <c>url</c>, nothing is named.
    /// </summary>
    private static string Id(string routeValue, HttpContext context) =>
        routeValue != ByUrl ? routeValue : context.Request.Query["url"] is [{ Length: > 0 } url] ? url : "";

    private const string ByUrl = "by-url";

    private static async Task<IResult> UpdateAsync(string clientId, ClientDto body, ClientStore store, ClientValidator validator, ClientWrites writes,
        HttpContext context, CancellationToken cancellationToken)
    {
        clientId = Id(clientId, context);
        var existing = await store.FindAsync(clientId, cancellationToken);
        if (existing is null)
        {
            return NotFound(clientId);
        }

        if (body.ClientId is not null && body.ClientId != clientId)
        {
            return TypedResults.ValidationProblem(new Validation().Add("clientId", "cannot be changed").Errors);
        }

        var (client, validation) = await validator.TryValidateAsync(body, clientId, existing, cancellationToken);
        if (client is null)
        {
            return validation is null ? Unavailable() : TypedResults.ValidationProblem(validation.Errors);
        }

        // A client that turns public loses its secret; one that turns confidential gets a new one, shown now.
        string? newSecret = null;
        if (client.Public)
        {
            client = client with { SecretHash = null };
        }
        else if (client.SecretHash is null)
        {
            newSecret = ClientSecrets.Generate();
            client = client with { SecretHash = ClientSecrets.Hash(newSecret) };
        }

        var written = await writes.UpdateAsync(client, existing.Active, context.Caller().Actor, null, cancellationToken);
        return Answer(written, clientId) ?? TypedResults.Ok(client.ToDto() with { ClientSecret = newSecret });
    }

    private static async Task<IResult> DeleteAsync(string clientId, ClientWrites writes, HttpContext context, CancellationToken cancellationToken)
    {
        clientId = Id(clientId, context);
        return await writes.DeleteAsync(clientId, context.Caller().Actor, cancellationToken) ? TypedResults.NoContent() : NotFound(clientId);
    }

    private static async Task<IResult> RotateSecretAsync(string clientId, ClientStore store, IAuditSink audit, HttpContext context, CancellationToken cancellationToken)
    {
        clientId = Id(clientId, context);
        var existing = await store.FindAsync(clientId, cancellationToken);
        if (existing is null)
        {
            return NotFound(clientId);
        }

        if (existing.Public)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: "A public client has no secret.");
        }

        if (existing.Profile == ClientProfiles.Fapi2)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: "A fapi2 client has no secret: it authenticates with private_key_jwt or mutual TLS.");
        }

        if (existing.Origin == Protocol.Registration.ClientIdMetadataDocument.Origin)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: "A client described by its metadata document has no secret: nobody registered one with this server.");
        }

        var secret = ClientSecrets.Generate();
        await store.DataSource.InTransactionAsync(async tx =>
        {
            await ClientStore.SetSecretAsync(tx, clientId, ClientSecrets.Hash(secret), cancellationToken);
            await audit.WriteAsync(tx, new ClientSecretRotated(clientId) { Actor = context.Caller().Actor }, cancellationToken);
        }, cancellationToken);
        return TypedResults.Ok(existing.ToDto() with { ClientSecret = secret });
    }

    /// <summary>The answer to a write that did not happen; null when it did.</summary>
    private static IResult? Answer(ClientWrite written, string clientId) => written switch
    {
        ClientWrite.Done => null,
        ClientWrite.Taken => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
            detail: $"The client id '{clientId}' is taken (or was used by a deleted client; ids are never reused)."),
        ClientWrite.Invalid invalid => TypedResults.ValidationProblem(invalid.Validation.Errors),
        ClientWrite.Gone => NotFound(clientId),
        _ => Unavailable(),
    };

    private static IResult Unavailable() => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Service Unavailable", detail: "Scope or user information is unavailable; retry shortly.");

    private static IResult NotFound(string clientId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No client '{clientId}'.");
}
