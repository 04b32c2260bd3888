using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Security;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// <c>/api/admin/trusts</c>: register, read, change and remove trusted identity providers. On
/// save the metadata document is fetched and must name the trust's issuer exactly.
/// </summary>
public static class TrustAdminEndpoints
{
    public static IEndpointRouteBuilder MapTrustAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var trusts = endpoints.MapAdminGroup("/api/admin/trusts");
        trusts.MapGet("", async (TrustStore store, CancellationToken ct) => TypedResults.Ok((await store.ListAsync(ct)).Select(t => t.ToDto()).ToArray()));
        trusts.MapGet("/{name}", async (string name, TrustStore store, CancellationToken ct) =>
            await store.FindAsync(name, ct) is { } trust ? TypedResults.Ok(trust.ToDto()) : NotFound(name));
        trusts.MapPost("", CreateAsync);
        trusts.MapPut("/{name}", UpdateAsync);
        trusts.MapDelete("/{name}", DeleteAsync);
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(TrustDto body, TrustStore store, TrustCatalog catalog, IServiceProvider services, IAuditSink audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        var trust = body.ToRecord(Guid.CreateVersion7());
        if (await ValidateAsync(trust, services, cancellationToken) is { } problem)
        {
            return problem;
        }

        var created = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await TrustStore.InsertAsync(tx, trust, cancellationToken))
            {
                return false;
            }

            await audit.WriteAsync(tx, new TrustCreated(trust.Name, trust.Issuer, trust.Template, trust.Scopes) { Actor = http.Caller().Actor }, cancellationToken);
            return true;
        }, cancellationToken);
        catalog.Invalidate();
        return created
            ? TypedResults.Created($"/api/admin/trusts/{Uri.EscapeDataString(trust.Name)}", trust.ToDto())
            : Conflict("A trust with this name or issuer exists.");
    }

    private static async Task<IResult> UpdateAsync(string name, TrustDto body, TrustStore store, TrustCatalog catalog, IServiceProvider services,
        IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(name, cancellationToken);
        if (existing is null)
        {
            return NotFound(name);
        }

        var trust = (body with { Name = body.Name ?? name }).ToRecord(existing.Id);
        if (trust.Name != name && await BoundClientsAsync(services, name, cancellationToken) is { Count: > 0 } bound)
        {
            return Conflict($"Clients are bound to '{name}' by name: {string.Join(", ", bound.Take(10))}. Unbind them before renaming.");
        }

        if (await ValidateAsync(trust, services, cancellationToken) is { } problem)
        {
            return problem;
        }

        try
        {
            await store.DataSource.InTransactionAsync(async tx =>
            {
                await TrustStore.UpdateAsync(tx, trust, cancellationToken);
                await audit.WriteAsync(tx, new TrustUpdated(trust.Name, trust.Issuer, trust.Active, trust.Scopes) { Actor = http.Caller().Actor }, cancellationToken);
            }, cancellationToken);
        }
        catch (Npgsql.PostgresException e) when (e.IsUniqueViolation(out _))
        {
            return Conflict("A trust with this name or issuer exists.");
        }

        catalog.Invalidate();
        return TypedResults.Ok(trust.ToDto());
    }

    private static async Task<IResult> DeleteAsync(string name, TrustStore store, TrustCatalog catalog, IServiceProvider services, IAuditSink audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(name, cancellationToken);
        if (existing is null)
        {
            return NotFound(name);
        }

        if (await BoundClientsAsync(services, name, cancellationToken) is { Count: > 0 } bound)
        {
            return Conflict($"Clients are bound to '{name}': {string.Join(", ", bound.Take(10))}. Unbind them first.");
        }

        await store.DataSource.InTransactionAsync(async tx =>
        {
            await TrustStore.DeleteAsync(tx, existing.Id, cancellationToken);
            await audit.WriteAsync(tx, new TrustDeleted(existing.Name, existing.Issuer) { Actor = http.Caller().Actor }, cancellationToken);
        }, cancellationToken);
        catalog.Invalidate();
        return TypedResults.NoContent();
    }

    /// <summary>The field rules, the scopes known to scope-policy, then the provider's metadata itself.</summary>
    private static async Task<IResult?> ValidateAsync(TrustRecord trust, IServiceProvider services, CancellationToken cancellationToken)
    {
        var remote = services.GetRequiredService<RemoteKeySets>();
        IReadOnlySet<string> scopes;
        try
        {
            scopes = (await services.GetRequiredService<ScopePolicyClient>().ListScopesAsync(new ListScopesRequest(), cancellationToken: cancellationToken))
                .Scopes.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return Unavailable();
        }

        var problems = TrustRules.Problems(trust.Settings, remote.UrlProblem, scopes);
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(problems.ToDictionary(p => p.Key, p => new[] { p.Value }));
        }

        try
        {
            await services.GetRequiredService<ProviderKeys>().FetchMetadataAsync(trust.MetadataUrl, trust.Issuer, cancellationToken);
            return null;
        }
        catch (RemoteDocumentException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["metadataUrl"] = [e.Message] });
        }
    }

    private static async Task<IReadOnlyList<string>> BoundClientsAsync(IServiceProvider services, string name, CancellationToken cancellationToken) =>
        (await services.GetRequiredService<ClientRegistryClient>().IsTrustInUseAsync(new IsTrustInUseRequest { Trust = name },
            cancellationToken: cancellationToken)).ClientIds;

    private static IResult NotFound(string name) => TypedResults.Problem(statusCode: 404, title: "Not Found", detail: $"No trust '{name}'.");

    private static IResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);

    private static IResult Unavailable() => TypedResults.Problem(statusCode: 503, title: "Service Unavailable", detail: "Scope information is unavailable; retry shortly.");
}
