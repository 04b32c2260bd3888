using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Admin;

/// <summary>
/// Each service describes its own admin API (<c>/api/admin/**</c>) with Microsoft.AspNetCore.OpenApi,
/// OpenAPI 3.1, served on <see cref="DocumentPath"/> to the edge alone (its service token), which merges
/// the services' documents into the public one (<c>/api/admin/openapi.json</c>).
/// </summary>
public static class AdminOpenApi
{
    public const string DocumentName = "admin";

    /// <summary>Not routed by the edge: the public document is the merged one.</summary>
    public const string DocumentPath = "/internal/openapi/admin.json";

    public static IServiceCollection AddAdminOpenApi(this IServiceCollection services, string serviceName) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/admin/", StringComparison.Ordinal) == true
                || description.RelativePath == "api/admin";
            // Every service writes JSON without null members: a property that may be null may be absent, so it is never required.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // ProblemDetails carry extension members (traceId, errors...): never a closed object.
                if (typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type) && schema is OpenApiSchema problem)
                {
                    problem.AdditionalPropertiesAllowed = true;
                    problem.AdditionalProperties = null;
                }

                if (schema is OpenApiSchema { Required: { Count: > 0 } required })
                {
                    foreach (var property in context.JsonTypeInfo.Properties.Where(MayBeNull))
                    {
                        required.Remove(property.Name);
                    }
                }

                return Task.CompletedTask;
            });
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo { Title = serviceName, Version = "1" };
                // The service's own address means nothing outside: the edge names the issuer.
                document.Servers = [];
                return Task.CompletedTask;
            });
        });

    /// <summary>A <c>Nullable&lt;T&gt;</c>, or a reference its declaration annotates as nullable (<c>string?</c>, <c>TokenBindingDto?</c>).</summary>
    private static bool MayBeNull(JsonPropertyInfo property) =>
        Nullable.GetUnderlyingType(property.PropertyType) is not null
        || (!property.PropertyType.IsValueType && property.AttributeProvider switch
        {
            PropertyInfo info => new NullabilityInfoContext().Create(info).ReadState != NullabilityState.NotNull,
            FieldInfo info => new NullabilityInfoContext().Create(info).ReadState != NullabilityState.NotNull,
            _ => true,
        });

    public static IEndpointRouteBuilder MapAdminOpenApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(DocumentPath, async (HttpContext http, [FromKeyedServices(DocumentName)] IOpenApiDocumentProvider provider) =>
        {
            if (!http.IsFromEdge())
            {
                return Results.NotFound();
            }

            var document = await provider.GetOpenApiDocumentAsync(http.RequestAborted);
            return Results.Text(await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, http.RequestAborted), "application/json");
        }).ExcludeFromDescription();
        return endpoints;
    }
}
