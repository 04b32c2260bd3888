using System.Text.Json;
using Microsoft.Extensions.Options;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Token.Keys;

public sealed record KeyDto(string Kid, string Algorithm, string Status, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt, DateTimeOffset? UnpublishedAt);

/// <param name="ReplacementKid">The key that signs instead, when the revoked one was signing.</param>
public sealed record KeyRevokedDto(string Kid, bool Revoked, string? ReplacementKid);

/// <param name="Algorithm">Which algorithm's key to rotate (each has its own); absent: the default access-token algorithm's.</param>
public sealed record RotateKeyDto(int? ActivateAfterSeconds, string? Algorithm = null);

/// <summary><c>GET /oauth/jwks</c> and the key administration API.</summary>
public static class KeyEndpoints
{
    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(MetadataBuilder.Paths.Jwks, (SigningKeys keys, HttpContext http) =>
        {
            // Short-lived caching: a new key is published a minute before it signs.
            http.Response.Headers.CacheControl = "public, max-age=30";
            return TypedResults.Json(new { keys = keys.All.Select(k => k.PublicJwk) });
        });

        var admin = endpoints.MapAdminGroup("/api/admin/keys", "Signing keys");
        admin.MapGet("", (SigningKeys keys, TimeProvider time) =>
            TypedResults.Ok(keys.All.Select(k => ToDto(k, time.GetUtcNow())).ToArray()))
            .WithSummary("List signing keys and their status");
        admin.MapPost("/rotate", RotateAsync).WithSummary("Publish a new signing key").Produces<KeyDto>(StatusCodes.Status201Created).ProducesValidationProblem();
        admin.MapPost("/{kid}/revoke", RevokeAsync).WithSummary("Withdraw a compromised signing key").Produces<KeyRevokedDto>().ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <summary>Publishes a new key now; it signs after the on-demand lead (or <c>activateAfterSeconds</c>).</summary>
    private static async Task<IResult> RotateAsync(HttpRequest request, SigningKeyStore store, KeyMaintenance maintenance, SigningKeys keys,
        IOptions<KeyOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        RotateKeyDto? body = null;
        if (request.HasJsonContentType())
        {
            try
            {
                body = await request.ReadFromJsonAsync<RotateKeyDto>(cancellationToken);
            }
            catch (JsonException e)
            {
                // A misspelt member is named, not ignored (ServiceDefaults' StrictJson).
                return TypedResults.ValidationProblem(StrictJson.ErrorsOf(e)
                    ?? new Validation().Add("body", "must be JSON: { \"activateAfterSeconds\": n }").Errors);
            }
        }

        var lead = body?.ActivateAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.Value.OnDemandPublishLead;
        if (lead < TimeSpan.Zero || lead > TimeSpan.FromDays(7))
        {
            return TypedResults.ValidationProblem(new Validation().Add("activateAfterSeconds", "must be 0-604800").Errors);
        }

        var algorithm = body?.Algorithm ?? options.Value.Algorithm;
        if (!SigningAlgorithms.IsSupported(algorithm))
        {
            return TypedResults.ValidationProblem(new Validation().Add("algorithm", $"must be one of {string.Join(", ", SigningAlgorithms.Supported)}").Errors);
        }

        var row = await store.RotateAsync(algorithm, lead, options.Value.RetiredKeyRetention, "rotated by an administrator",
            cancellationToken);
        await keys.RefreshAsync(cancellationToken);
        maintenance.Wake();
        var created = keys.All.Single(k => k.Kid == row.Kid);
        return TypedResults.Created($"/api/admin/keys/{row.Kid}", ToDto(created, time.GetUtcNow()));
    }

    /// <summary>Withdraws a compromised key: out of the JWKS and refused everywhere within a second (by event).</summary>
    private static async Task<IResult> RevokeAsync(string kid, HttpContext http, SigningKeyStore store, SigningKeys keys, IOptions<KeyOptions> options,
        CancellationToken cancellationToken)
    {
        var revoked = await store.RevokeAsync(kid, options.Value.RetiredKeyRetention, http.Caller().Actor, cancellationToken);
        if (revoked is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No published key has this kid.");
        }

        await keys.RefreshAsync(cancellationToken);
        return TypedResults.Ok(new KeyRevokedDto(revoked.Kid, true, revoked.ReplacementKid));
    }

    private static KeyDto ToDto(LoadedKey key, DateTimeOffset now) =>
        new(key.Kid, key.Algorithm, key.Status(now), key.ActivatesAt, key.RetiresAt, key.ExpiresAt);
}
