using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Registration;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>
/// <c>POST /oauth/register</c> (RFC 7591) and <c>GET|PUT|DELETE /oauth/register/{client_id}</c> (RFC 7592).
/// A registration is held to a policy: an initial access token's, or in open mode the open policy's.
/// The metadata is read by the protocol core, then checked by the same validator as the admin API's,
/// and written by the same code, in one transaction with the token's use and the audit events. The
/// answer holds every stored value, the client secret (shown once) and the registration access token
/// (kept as SHA-256, replaced on every PUT).
/// </summary>
public static class RegistrationEndpoints
{
    public const string Path = Protocol.Discovery.MetadataBuilder.Paths.Registration;
    private const int MaxBody = 64 * 1024;

    public static IEndpointRouteBuilder MapRegistrationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, RegisterAsync);
        endpoints.MapGet(Path + "/{clientId}", ShowAsync);
        endpoints.MapPut(Path + "/{clientId}", ReplaceAsync);
        endpoints.MapDelete(Path + "/{clientId}", DeleteAsync);
        return endpoints;
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, RegistrationSettings settings, InitialAccessTokens tokens, RegistrationPolicies policies,
        ClientValidator validator, ClientWrites writes, IAuditSink audit, Issuer issuer, IHostEnvironment environment, CancellationToken cancellationToken)
    {
        if (settings.Mode == RegistrationMode.Off)
        {
            return TypedResults.NotFound();
        }

        // RFC 7591 §3: an initial access token selects its policy; without one, only open registration.
        (string Id, string Policy)? initial = null;
        string? policyName = null;
        if (Bearer(http) is { } presented)
        {
            initial = await tokens.FindLiveAsync(presented, cancellationToken);
            policyName = initial?.Policy;
        }
        else if (settings.Mode == RegistrationMode.Open)
        {
            policyName = settings.OpenPolicy;
        }

        var policy = policyName is null ? null : await policies.FindAsync(policyName, cancellationToken);
        if (policy is null)
        {
            await RefusedAsync(audit, http, "invalid_token", null, policyName, "no valid initial access token", cancellationToken);
            return InvalidToken(Bearer(http) is null ? "An initial access token is required to register." : "The initial access token is invalid, expired, revoked or used up.");
        }

        var (metadata, error, _) = await ReadAsync(http, policy.Rules, environment, cancellationToken);
        var (scopes, policyError) = metadata is null ? ([], null) : RegistrationPolicyRules.Apply(metadata, policy.Rules);
        error ??= policyError;
        if (error is not null)
        {
            return await RefuseAsync(audit, http, error, policy.Rules.Name, cancellationToken);
        }

        var clientId = Guid.NewGuid().ToString("N");
        var (client, validation) = await validator.TryValidateAsync(ToDto(metadata!, scopes, policy.Rules), clientId, null, cancellationToken);
        if (client is null)
        {
            return validation is null ? Unavailable() : await RefuseAsync(audit, http, FromValidation(validation), policy.Rules.Name, cancellationToken);
        }

        // A confidential client with a secret gets one, shown now only; private_key_jwt and public clients get none.
        var secret = metadata!.TokenEndpointAuthMethod is ClientAuthentication.ClientSecretBasic or ClientAuthentication.ClientSecretPost ? ClientSecrets.Generate() : null;
        client = client with { SecretHash = secret is null ? null : ClientSecrets.Hash(secret), PkceRequired = true };
        var registrationToken = NewToken();
        var remote = http.Connection.RemoteIpAddress?.ToString();
        var full = false;
        var written = await writes.CreateAsync(client, AuditActor.Client(clientId), async tx =>
        {
            if (initial is { } token && !await InitialAccessTokens.SpendAsync(tx, token.Id, cancellationToken))
            {
                return false;
            }

            if (policy.MaxClients is { } max && await Registrations.CountLockedAsync(tx, policy.Rules.Name, cancellationToken) >= max)
            {
                full = true;
                return false;
            }

            await Registrations.SaveAsync(tx, clientId, policy.Rules.Name, Registrations.Hash(registrationToken), metadata, cancellationToken);
            await audit.WriteAsync(tx, new ClientRegistered(clientId, policy.Rules.Name, initial?.Id, metadata.SoftwareId,
                metadata.SoftwareStatement is null ? null : policy.Rules.Statements?.Issuer)
                { Actor = AuditActor.Client(clientId), RemoteAddress = remote }, cancellationToken);
            return true;
        }, cancellationToken);
        switch (written)
        {
            case ClientWrite.Done:
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Json(Response(client, metadata, issuer, DateTimeOffset.UtcNow, secret, registrationToken), statusCode: StatusCodes.Status201Created);
            case ClientWrite.Aborted when full:
                return await RefuseAsync(audit, http, RegistrationError.Metadata("registration", $"the policy '{policy.Rules.Name}' has all the clients it may have"),
                    policy.Rules.Name, cancellationToken);
            case ClientWrite.Aborted:
                await RefusedAsync(audit, http, "invalid_token", null, policy.Rules.Name, "initial access token used up meanwhile", cancellationToken);
                return InvalidToken("The initial access token is invalid, expired, revoked or used up.");
            case ClientWrite.Invalid invalid:
                return await RefuseAsync(audit, http, FromValidation(invalid.Validation), policy.Rules.Name, cancellationToken);
            default:
                return Unavailable();
        }
    }

    private static async Task<IResult> ShowAsync(string clientId, HttpContext http, Registrations registrations, ClientStore store, Issuer issuer,
        IAuditSink audit, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, clientId, registrations, audit, cancellationToken) is not { } registration
            || await store.FindAsync(clientId, cancellationToken) is not { } client)
        {
            return InvalidToken("The registration access token is not valid for this client.");
        }

        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(Response(client, Metadata(client, registration), issuer, registration.CreatedAt, null, null));
    }

    /// <summary>RFC 7592 §2.2: the whole record is replaced, within its original policy; the registration access token is replaced too.</summary>
    private static async Task<IResult> ReplaceAsync(string clientId, HttpContext http, Registrations registrations, ClientStore store, RegistrationPolicies policies,
        ClientValidator validator, ClientWrites writes, IAuditSink audit, Issuer issuer, IHostEnvironment environment, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, clientId, registrations, audit, cancellationToken) is not { } registration
            || await store.FindAsync(clientId, cancellationToken) is not { } existing)
        {
            return InvalidToken("The registration access token is not valid for this client.");
        }

        var policy = await policies.FindAsync(registration.RegistrationPolicy, cancellationToken);
        var (metadata, error, root) = await ReadAsync(http, policy?.Rules, environment, cancellationToken);
        // The body names the client; a secret it carries must be the client's own (never a new one it chose).
        if (error is null && (!root.TryGetProperty("client_id", out var named) || named.ValueKind != JsonValueKind.String || named.GetString() != clientId))
        {
            error = RegistrationError.Metadata("client_id", "must be the registered client's id");
        }

        if (error is null && root.TryGetProperty("client_secret", out var sent)
            && (sent.ValueKind != JsonValueKind.String || existing.SecretHash is null || !ClientSecrets.Matches(sent.GetString()!, existing.SecretHash)))
        {
            error = RegistrationError.Metadata("client_secret", "must be the client's current secret; a client cannot choose its secret");
        }

        var (scopes, policyError) = metadata is null || policy is null ? ([], null) : RegistrationPolicyRules.Apply(metadata, policy.Rules);
        error ??= policy is null ? RegistrationError.Metadata("registration", "the client's registration policy no longer exists") : policyError;
        if (error is not null)
        {
            return await RefuseAsync(audit, http, error, registration.RegistrationPolicy, cancellationToken);
        }

        var (client, validation) = await validator.TryValidateAsync(ToDto(metadata!, scopes, policy!.Rules) with { Active = existing.Active }, clientId, existing,
            cancellationToken);
        if (client is null)
        {
            return validation is null ? Unavailable() : await RefuseAsync(audit, http, FromValidation(validation), policy.Rules.Name, cancellationToken);
        }

        // A client that moved to a secret method gets a secret now; one that left them loses its secret.
        string? newSecret = null;
        if (metadata!.TokenEndpointAuthMethod is ClientAuthentication.ClientSecretBasic or ClientAuthentication.ClientSecretPost)
        {
            if (existing.SecretHash is null)
            {
                newSecret = ClientSecrets.Generate();
            }

            client = client with { SecretHash = newSecret is null ? existing.SecretHash : ClientSecrets.Hash(newSecret) };
        }
        else
        {
            client = client with { SecretHash = null };
        }

        client = client with { PkceRequired = true };
        var registrationToken = NewToken();
        var written = await writes.UpdateAsync(client, existing.Active, AuditActor.Client(clientId), async tx =>
        {
            await Registrations.SaveAsync(tx, clientId, policy.Rules.Name, Registrations.Hash(registrationToken), metadata, cancellationToken);
            await audit.WriteAsync(tx, new ClientRegistrationManaged(clientId, "PUT")
                { Actor = AuditActor.Client(clientId), RemoteAddress = http.Connection.RemoteIpAddress?.ToString() }, cancellationToken);
            return true;
        }, cancellationToken);
        return written switch
        {
            ClientWrite.Done => NoStore(http, TypedResults.Json(Response(client, metadata, issuer, registration.CreatedAt, newSecret, registrationToken))),
            ClientWrite.Invalid invalid => await RefuseAsync(audit, http, FromValidation(invalid.Validation), policy.Rules.Name, cancellationToken),
            ClientWrite.Gone => InvalidToken("The registration access token is not valid for this client."),
            _ => Unavailable(),
        };
    }

    /// <summary>RFC 7592 §2.3: the client is deleted and every token it holds refused from now on.</summary>
    private static async Task<IResult> DeleteAsync(string clientId, HttpContext http, Registrations registrations, ClientWrites writes, IAuditSink audit,
        CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, clientId, registrations, audit, cancellationToken) is null
            || !await writes.DeleteAsync(clientId, AuditActor.Client(clientId), cancellationToken))
        {
            return InvalidToken("The registration access token is not valid for this client.");
        }

        return TypedResults.NoContent();
    }

    /// <summary>The registration, when the bearer token is its registration access token (compared by hash, in constant time).</summary>
    private static async Task<RegistrationRow?> AuthenticateAsync(HttpContext http, string clientId, Registrations registrations, IAuditSink audit,
        CancellationToken cancellationToken)
    {
        var registration = clientId.Length <= 255 ? await registrations.FindAsync(clientId, cancellationToken) : null;
        if (Bearer(http) is { } token && registration?.RegistrationTokenHash is { } stored
            && CryptographicOperations.FixedTimeEquals(Registrations.Hash(token), stored))
        {
            return registration;
        }

        // An unknown client and a wrong token look the same (RFC 7592 §2.1-2.3: 401 for both).
        await audit.WriteAsync(new RegistrationManagementRefused(registration?.ClientId, http.Request.Method)
        {
            Outcome = AuditOutcome.Failure,
            Reason = registration is null ? "no such self-registered client" : "wrong registration access token",
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        }, cancellationToken);
        return null;
    }

    /// <summary>
    /// The JSON body (RFC 7591 §3.1), at most 64 KiB, read without the admin API's strict binder: unknown members are ignored here.
    /// A software statement must verify under the policy's trusted issuer; its claims then replace the body's (§3.1.1).
    /// </summary>
    private static async Task<(ClientMetadata?, RegistrationError?, JsonElement)> ReadAsync(HttpContext http, RegistrationPolicy? policy,
        IHostEnvironment environment, CancellationToken cancellationToken)
    {
        if (http.Request.ContentType?.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return (null, RegistrationError.Metadata("body", "must be application/json"), default);
        }

        if (http.Request.ContentLength > MaxBody)
        {
            return (null, RegistrationError.Metadata("body", "must be at most 64 KiB"), default);
        }

        JsonElement root;
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length > MaxBody)
            {
                return (null, RegistrationError.Metadata("body", "must be at most 64 KiB"), default);
            }

            root = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 }).RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, RegistrationError.Metadata("body", "must be a JSON object"), default);
        }

        if (ClientMetadata.RepeatedMember(root) is { } repeated)
        {
            return (null, RegistrationError.Metadata(repeated.Length > 64 ? repeated[..64] : repeated, "must be given once"), root);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("software_statement", out var statement) && statement.ValueKind == JsonValueKind.String)
        {
            var (claims, statementError) = await SoftwareStatement.VerifyAsync(statement.GetString()!, policy?.Statements, DateTimeOffset.UtcNow);
            if (statementError is not null)
            {
                return (null, statementError, root);
            }

            root = SoftwareStatement.Merge(root, claims!.Value);
        }
        else if (policy?.Statements is { Required: true } && root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("software_statement", out _))
        {
            return (null, SoftwareStatement.Missing(), root);
        }

        var (metadata, error) = ClientMetadata.Read(root, allowHttpLoopback: environment.IsDevelopment());
        return (metadata, error, root);
    }

    /// <summary>The admin API's form of the metadata, so the admin API's validator and writes apply unchanged.</summary>
    internal static ClientDto ToDto(ClientMetadata metadata, IReadOnlyList<string> scopes, RegistrationPolicy policy) =>
        new(metadata.ClientName ?? "Unnamed application", null, metadata.Public, true, [.. metadata.RedirectUris], [], [.. metadata.GrantTypes], [.. scopes],
            [.. scopes], policy.AccessTokenLifespan, policy.RefreshTokenLifespan,
            metadata.GrantTypes.Contains(GrantTypes.ClientCredentials) ? policy.ApplicationUser : null, false, metadata.LogoUri, true)
        {
            JwtVerifier = metadata.JwksUri is not null ? new VerifierSettings { JwksUri = metadata.JwksUri }
                : metadata.Jwks is not null ? new VerifierSettings { Keys = Keys(metadata.Jwks) }
                : null,
        };

    private static VerifierKey[] Keys(string jwks) =>
        [.. JsonDocument.Parse(jwks).RootElement.GetProperty("keys").EnumerateArray().Select(k => new VerifierKey(
            k.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String ? kid.GetString() : null,
            k.TryGetProperty("alg", out var alg) && alg.ValueKind == JsonValueKind.String ? alg.GetString() : null, k.Clone(), null))];

    /// <summary>A stored client's metadata, for GET.</summary>
    private static ClientMetadata Metadata(ClientRecord client, RegistrationRow registration)
    {
        var verifier = client.Verifier;
        return new ClientMetadata
        {
            RedirectUris = client.RedirectUris,
            GrantTypes = client.GrantTypes,
            ResponseTypes = client.GrantTypes.Contains(GrantTypes.AuthorizationCode) ? ["code"] : [],
            TokenEndpointAuthMethod = client.Public ? ClientAuthentication.None
                : client.SecretHash is null && verifier is not null ? ClientAuthentication.PrivateKeyJwt : ClientAuthentication.ClientSecretBasic,
            ClientName = client.Name,
            Scope = client.Scopes,
            Contacts = registration.Contacts,
            LogoUri = client.LogoUrl,
            ClientUri = registration.ClientUri,
            PolicyUri = registration.PolicyUri,
            TosUri = registration.TosUri,
            JwksUri = verifier?.JwksUri,
            Jwks = verifier?.Keys is { Count: > 0 } keys ? JsonSerializer.Serialize(new { keys = keys.Select(k => k.Jwk) }) : null,
            SoftwareId = registration.SoftwareId,
            SoftwareVersion = registration.SoftwareVersion,
            SoftwareStatement = registration.SoftwareStatement,
        };
    }

    /// <summary>RFC 7591 §3.2.1, RFC 7592 §3: every value stored, in the metadata's names.</summary>
    private static JsonObject Response(ClientRecord client, ClientMetadata metadata, Issuer issuer, DateTimeOffset issuedAt, string? secret, string? registrationToken)
    {
        var body = new JsonObject
        {
            ["client_id"] = client.ClientId,
            ["client_id_issued_at"] = issuedAt.ToUnixTimeSeconds(),
        };
        if (secret is not null)
        {
            body["client_secret"] = secret;
            body["client_secret_expires_at"] = 0;
        }

        if (registrationToken is not null)
        {
            body["registration_access_token"] = registrationToken;
        }

        body["registration_client_uri"] = issuer.Url($"{Path}/{client.ClientId}");
        body["client_name"] = client.Name;
        body["redirect_uris"] = Array(metadata.RedirectUris);
        body["grant_types"] = Array(metadata.GrantTypes);
        body["response_types"] = Array(metadata.ResponseTypes);
        body["token_endpoint_auth_method"] = metadata.TokenEndpointAuthMethod;
        body["scope"] = string.Join(' ', client.Scopes);
        Optional(body, "contacts", metadata.Contacts.Count > 0 ? Array(metadata.Contacts) : null);
        Optional(body, "logo_uri", (JsonNode?)metadata.LogoUri);
        Optional(body, "client_uri", (JsonNode?)metadata.ClientUri);
        Optional(body, "policy_uri", (JsonNode?)metadata.PolicyUri);
        Optional(body, "tos_uri", (JsonNode?)metadata.TosUri);
        Optional(body, "jwks_uri", (JsonNode?)metadata.JwksUri);
        Optional(body, "jwks", metadata.Jwks is null ? null : JsonNode.Parse(metadata.Jwks));
        Optional(body, "software_id", (JsonNode?)metadata.SoftwareId);
        Optional(body, "software_version", (JsonNode?)metadata.SoftwareVersion);
        // §3.2.1: returned unmodified.
        Optional(body, "software_statement", (JsonNode?)metadata.SoftwareStatement);
        return body;
    }

    private static JsonArray Array(IEnumerable<string> values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];

    private static void Optional(JsonObject body, string name, JsonNode? value)
    {
        if (value is not null)
        {
            body[name] = value;
        }
    }

    /// <summary>The admin validator's first complaint, in the metadata's names (RFC 7591 §3.2.2).</summary>
    internal static RegistrationError FromValidation(ServiceDefaults.Admin.Validation validation)
    {
        var (field, messages) = validation.Errors.First();
        var name = field switch
        {
            "redirectUris" => "redirect_uris",
            "grantTypes" => "grant_types",
            "scopes" or "defaultScopes" => "scope",
            "logoUrl" => "logo_uri",
            "name" => "client_name",
            "jwtVerifier" => "jwks",
            _ when field.StartsWith("redirectUris[", StringComparison.Ordinal) => "redirect_uris" + field["redirectUris".Length..],
            _ when field.StartsWith("jwtVerifier", StringComparison.Ordinal) => "jwks",
            _ => field,
        };
        return name.StartsWith("redirect_uris[", StringComparison.Ordinal)
            ? new RegistrationError(RegistrationError.InvalidRedirectUri, $"{name}: {messages[0]}") { Field = name }
            : RegistrationError.Metadata(name, messages[0]);
    }

    private static async Task<IResult> RefuseAsync(IAuditSink audit, HttpContext http, RegistrationError error, string? policy, CancellationToken cancellationToken)
    {
        await RefusedAsync(audit, http, error.Error, error.Field, policy, error.Description, cancellationToken);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(new JsonObject { ["error"] = error.Error, ["error_description"] = error.Description }, statusCode: StatusCodes.Status400BadRequest);
    }

    private static Task RefusedAsync(IAuditSink audit, HttpContext http, string error, string? field, string? policy, string reason, CancellationToken cancellationToken) =>
        audit.WriteAsync(new ClientRegistrationRefused(error, field, policy)
        {
            Outcome = AuditOutcome.Failure,
            Reason = reason,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        }, cancellationToken);

    /// <summary>RFC 6750 §3: 401 with the bearer challenge.</summary>
    private static IResult InvalidToken(string description) => new Challenge(description);

    private sealed class Challenge(string description) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{description}\"";
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsJsonAsync(new { error = "invalid_token", error_description = description }, context.RequestAborted);
        }
    }

    private static IResult NoStore(HttpContext http, IResult result)
    {
        http.Response.Headers.CacheControl = "no-store";
        return result;
    }

    private static IResult Unavailable() => TypedResults.Json(new { error = "temporarily_unavailable", error_description = "Scope or user information is unavailable; retry shortly." },
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static string NewToken() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private static string? Bearer(HttpContext http) =>
        http.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7
            && header.Length < 1024
            ? header[7..].Trim()
            : null;
}
