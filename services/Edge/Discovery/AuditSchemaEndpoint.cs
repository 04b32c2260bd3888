using System.Text;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Security;

namespace OAuthAspire.Edge.Discovery;

/// <summary>
/// <c>GET /audit/schemas/{name}</c>: the JSON Schema of an audit event's <c>data</c>, where each event's
/// <c>dataschema</c> points (<see cref="AuditCloudEvent.SchemaUri"/>), so an auditor can check what it
/// reads without this repository; <c>GET /audit/schemas</c> lists them. Public and static: the schemas
/// are built into the edge and change only with a release.
/// </summary>
public static class AuditSchemaEndpoint
{
    public const string ContentType = "application/schema+json";

    private const string CacheControl = "public, max-age=3600";

    public static IEndpointRouteBuilder MapAuditSchemas(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(AuditCloudEvent.SchemaPath.TrimEnd('/'), List);
        endpoints.MapGet(AuditCloudEvent.SchemaPath + "{name}", Get);
        return endpoints;
    }

    /// <summary>File name → its absolute URL.</summary>
    private static IResult List(HttpResponse response, EdgeSettings settings)
    {
        response.Headers.CacheControl = CacheControl;
        var root = settings.Issuer.TrimEnd('/') + AuditCloudEvent.SchemaPath;
        return TypedResults.Json(AuditSchemas.All.Keys.ToDictionary(name => name, name => root + name, StringComparer.Ordinal));
    }

    private static IResult Get(string name, HttpResponse response)
    {
        if (AuditSchemas.Find(name) is not { } schema)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such audit schema");
        }

        response.Headers.CacheControl = CacheControl;
        return TypedResults.Text(schema, ContentType, Encoding.UTF8);
    }
}
