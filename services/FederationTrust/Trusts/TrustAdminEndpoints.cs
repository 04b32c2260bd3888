using Grpc.Core;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Security;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// <c>/api/admin/trusts</c>: register, read, change and remove trusted identity providers. On
/// save the metadata document is fetched and must name the trust's issuer exactly. When it cannot
/// be fetched or does not fit, the caller gets generic text: connect errors, status codes and what
/// the document said would make this endpoint a probe of whatever the URL points at. The detail
/// goes to the log and to the audit trail (the create or update event, outcome Failure). A trust
/// that saves but risks something (a mutable user claim, privileged users allowed) is answered as
/// usual (201 or 200) with the reasons in the body's <c>warnings</c> array (<see cref="TrustRules.Warnings"/>).
/// <c>DELETE /{name}/links/{userSysId}</c> frees a user from the provider subject it is linked to,
/// so that another subject can map to it (the first one's account was recreated, or linked wrongly).
/// A trust that clients are bound to cannot be deleted or renamed (409; 503 while which clients are
/// bound is not known yet: <see cref="ClientUseView"/>).
/// </summary>
public static class TrustAdminEndpoints
{
    public const string MetadataUnreadable = "The provider's metadata could not be fetched.";
    public const string Taken = "A trust with this name, issuer or opaque-token prefix exists.";
    public const string MetadataMismatch = "The provider's metadata does not name this issuer, or no usable jwks_uri.";

    public static IEndpointRouteBuilder MapTrustAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var trusts = endpoints.MapAdminGroup("/api/admin/trusts", "Trusts");
        trusts.MapGet("", async (TrustStore store, IConfiguration configuration, CancellationToken ct) =>
                TypedResults.Ok((await store.ListAsync(ct)).Select(t => t.ToDto(IssuerOf(configuration))).ToArray()))
            .WithSummary("List trusted identity providers");
        trusts.MapGet("/{name}", async (string name, TrustStore store, IConfiguration configuration, CancellationToken ct) =>
            await store.FindAsync(name, ct) is { } trust ? TypedResults.Ok(trust.ToDto(IssuerOf(configuration))) : NotFound(name))
            .WithSummary("Read a trust").Produces<TrustDto>().ProducesProblem(StatusCodes.Status404NotFound);
        trusts.MapPost("", CreateAsync).WithSummary("Register a trusted identity provider").Produces<TrustDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        trusts.MapPut("/{name}", UpdateAsync).WithSummary("Replace a trust").Produces<TrustDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        trusts.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a trust").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        trusts.MapDelete("/{name}/links/{userSysId}", UnlinkAsync).WithSummary("Unlink an external subject from its user").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        trusts.MapTrustCheck();
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(TrustDto body, TrustStore store, TrustCatalog catalog, IServiceProvider services, IAuditSink audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        var (trust, secretProblem) = services.GetRequiredService<ProviderSecrets>().Settle(body.ToRecord(Guid.CreateVersion7()), body.ProviderClient, null);
        AuditEvent Refused(string reason) =>
            new TrustCreated(trust.Name, trust.Issuer, trust.Template, trust.Scopes, trust.AllowPrivilegedUsers) { Actor = http.Caller().Actor, Outcome = AuditOutcome.Failure, Reason = reason };
        if (await ValidateAsync(trust, secretProblem, services, Refused, cancellationToken) is { } problem)
        {
            return problem;
        }

        var created = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await TrustStore.InsertAsync(tx, trust, cancellationToken))
            {
                return false;
            }

            await audit.WriteAsync(tx, new TrustCreated(trust.Name, trust.Issuer, trust.Template, trust.Scopes, trust.AllowPrivilegedUsers) { Actor = http.Caller().Actor }, cancellationToken);
            return true;
        }, cancellationToken);
        catalog.Invalidate();
        return created
            ? TypedResults.Created($"/api/admin/trusts/{Uri.EscapeDataString(trust.Name)}", trust.ToDto(IssuerOf(services.GetRequiredService<IConfiguration>())))
            : Conflict(Taken);
    }

    private static async Task<IResult> UpdateAsync(string name, TrustDto body, TrustStore store, TrustCatalog catalog, IServiceProvider services,
        IAuditSink audit, HttpContext http, CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(name, cancellationToken);
        if (existing is null)
        {
            return NotFound(name);
        }

        var (trust, secretProblem) = services.GetRequiredService<ProviderSecrets>().Settle((body with { Name = body.Name ?? name }).ToRecord(existing.Id),
            body.ProviderClient, existing);
        AuditEvent Refused(string reason) =>
            new TrustUpdated(trust.Name, trust.Issuer, trust.Active, trust.Scopes, trust.AllowPrivilegedUsers) { Actor = http.Caller().Actor, Outcome = AuditOutcome.Failure, Reason = reason };
        if (await ValidateAsync(trust, secretProblem, services, Refused, cancellationToken) is { } problem)
        {
            return problem;
        }

        IResult? refused;
        try
        {
            refused = await store.DataSource.InTransactionAsync<IResult?>(async tx =>
            {
                // Clients are bound by name: a rename would leave them bound to nothing.
                if (trust.Name != name && await InUseAsync(tx, existing.Id, name,
                        bound => $"Clients are bound to '{name}' by name: {bound}. Unbind them before renaming.", cancellationToken) is { } inUse)
                {
                    return inUse;
                }

                await TrustStore.UpdateAsync(tx, trust, cancellationToken);
                await audit.WriteAsync(tx, new TrustUpdated(trust.Name, trust.Issuer, trust.Active, trust.Scopes, trust.AllowPrivilegedUsers) { Actor = http.Caller().Actor }, cancellationToken);
                return null;
            }, cancellationToken);
        }
        catch (Npgsql.PostgresException e) when (e.IsUniqueViolation(out _))
        {
            return Conflict(Taken);
        }

        if (refused is not null)
        {
            return refused;
        }

        catalog.Invalidate();
        return TypedResults.Ok(trust.ToDto(IssuerOf(services.GetRequiredService<IConfiguration>())));
    }

    private static async Task<IResult> DeleteAsync(string name, TrustStore store, TrustCatalog catalog, IAuditSink audit, HttpContext http,
        CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(name, cancellationToken);
        if (existing is null)
        {
            return NotFound(name);
        }

        var result = await store.DataSource.InTransactionAsync<IResult>(async tx =>
        {
            if (await InUseAsync(tx, existing.Id, name, bound => $"Clients are bound to '{name}': {bound}. Unbind them first.", cancellationToken) is { } inUse)
            {
                return inUse;
            }

            await TrustStore.DeleteAsync(tx, existing.Id, cancellationToken);
            await audit.WriteAsync(tx, new TrustDeleted(existing.Name, existing.Issuer) { Actor = http.Caller().Actor }, cancellationToken);
            return TypedResults.NoContent();
        }, cancellationToken);
        catalog.Invalidate();
        return result;
    }

    private static async Task<IResult> UnlinkAsync(string name, string userSysId, TrustStore store, IAuditSink audit, HttpContext http,
        CancellationToken cancellationToken)
    {
        var trust = await store.FindAsync(name, cancellationToken);
        if (trust is null)
        {
            return NotFound(name);
        }

        var removed = await store.DataSource.InTransactionAsync(async tx =>
        {
            var link = await TrustStore.UnlinkAsync(tx, trust.Id, userSysId, cancellationToken);
            if (link is not null)
            {
                await audit.WriteAsync(tx, new ExternalSubjectUnlinked(trust.Name, link.Issuer, link.Subject, link.UserSysId) { Actor = http.Caller().Actor },
                    cancellationToken);
            }

            return link is not null;
        }, cancellationToken);
        return removed
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: 404, title: "Not Found", detail: $"No subject of trust '{name}' is linked to that user.");
    }

    /// <summary>The field rules, the scopes known to scope-policy, then the provider's metadata itself (a refusal of that is audited).</summary>
    private static async Task<IResult?> ValidateAsync(TrustRecord trust, (string Field, string Problem)? secretProblem, IServiceProvider services,
        Func<string, AuditEvent> refused, CancellationToken cancellationToken)
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

        var problems = TrustRules.Problems(trust.Settings, remote.UrlProblem, scopes).ToDictionary();
        if (secretProblem is var (field, why))
        {
            problems.TryAdd(field, why);
        }

        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(problems.ToDictionary(p => p.Key, p => new[] { p.Value }));
        }

        try
        {
            var metadata = await services.GetRequiredService<ProviderKeys>().FetchMetadataAsync(trust.MetadataUrl, trust.Issuer, cancellationToken);
            if (trust.OpaqueTokens is { IntrospectionEndpoint.Length: 0 } && metadata.IntrospectionEndpoint is null)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["opaqueTokens.introspectionEndpoint"] = ["is required: the provider's metadata names no usable introspection_endpoint"],
                });
            }

            if (trust.SignIn && (metadata.AuthorizationEndpoint is null || metadata.TokenEndpoint is null))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["signIn"] = ["the provider's metadata names no usable authorization_endpoint and token_endpoint"],
                });
            }

            // Home-realm discovery must name one provider per domain.
            var others = (await services.GetRequiredService<TrustStore>().ListAsync(cancellationToken)).Where(t => t.Id != trust.Id && t.SignIn);
            return others.SelectMany(t => t.SignInEmailDomains.Intersect(trust.SignInEmailDomains).Select(d => (Domain: d, Trust: t.Name))).FirstOrDefault() is
                { Trust: not null } taken
                ? Conflict($"The email domain '{taken.Domain}' already signs in through trust '{taken.Trust}'.")
                : null;
        }
        catch (Exception e) when (e is RemoteDocumentException or ProviderMetadataException)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TrustAdminEndpoints))
                .LogWarning("The metadata of trust {Trust} was refused on save: {Reason}", trust.Name, e.Message);
            await services.GetRequiredService<IAuditSink>().WriteAsync(refused(e.Message), cancellationToken);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["metadataUrl"] = [e is ProviderMetadataException ? MetadataMismatch : MetadataUnreadable],
            });
        }
    }

    /// <summary>
    /// Locks the trust (until the change commits) and refuses the change while clients are bound to
    /// it (409) or while which clients are is not known yet (503). The lock orders the change against
    /// client saves: a claim waiting on it then finds the name gone (the save is refused), and one
    /// that came first is seen here (<see cref="ClientUseView"/>).
    /// </summary>
    private static async Task<IResult?> InUseAsync(NpgsqlTransaction tx, Guid id, string name, Func<string, string> boundMessage,
        CancellationToken cancellationToken)
    {
        if (await TrustStore.LockForChangeAsync(tx, id, cancellationToken) != name)
        {
            // Deleted or renamed since it was read.
            return NotFound(name);
        }

        if (!await ClientUseView.IsInitializedAsync(tx, cancellationToken))
        {
            return TypedResults.Problem(statusCode: 503, title: "Service Unavailable", detail: "Which clients are bound to this trust is not known yet; retry shortly.");
        }

        var bound = await ClientUseView.ClientsUsingAsync(tx, name, cancellationToken);
        return bound.Count > 0 ? Conflict(boundMessage(string.Join(", ", bound))) : null;
    }

    private static string IssuerOf(IConfiguration configuration) => configuration["OAuth:Issuer"] ?? "";

    private static IResult NotFound(string name) => TypedResults.Problem(statusCode: 404, title: "Not Found", detail: $"No trust '{name}'.");

    private static IResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);

    private static IResult Unavailable() => TypedResults.Problem(statusCode: 503, title: "Service Unavailable", detail: "Scope information is unavailable; retry shortly.");
}
