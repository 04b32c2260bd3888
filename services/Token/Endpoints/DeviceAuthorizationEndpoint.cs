using System.Text.Json.Serialization;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.Token.Device;
using OAuthAspire.Token.Scopes;

namespace OAuthAspire.Token.Endpoints;

/// <summary>The device authorization response (RFC 8628 §3.2).</summary>
public sealed record DeviceAuthorizationResponse(
    [property: JsonPropertyName("device_code")] string DeviceCode,
    [property: JsonPropertyName("user_code")] string UserCode,
    [property: JsonPropertyName("verification_uri")] string VerificationUri,
    [property: JsonPropertyName("verification_uri_complete")] string VerificationUriComplete,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("interval")] int Interval);

/// <summary>
/// <c>POST /oauth/device_authorization</c> (RFC 8628 §3.1): a client allowed the device grant (a
/// confidential one authenticated as at the token endpoint, a public one by its client_id) gets a
/// device code to poll with and a user code for the user to enter at <c>{issuer}/device</c>. The
/// scopes and resources are decided now, by the client's rules, so the user approves exactly what
/// the tokens will hold. Refusals are RFC 6749 §5.2 errors (§3.2), audited.
/// </summary>
public sealed class DeviceAuthorizationEndpoint(ClientAuthenticator authenticator, DeviceAuthorizations devices, ScopeResolver scopes, ApiResourceCatalog apis,
    Issuer issuer, IAuditSink audit, ILogger<DeviceAuthorizationEndpoint> logger)
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(MetadataBuilder.Paths.DeviceAuthorization, (HttpContext http, DeviceAuthorizationEndpoint endpoint) => endpoint.HandleAsync(http));

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        string? clientId = null;
        try
        {
            var (form, formError) = await OAuthResults.ReadFormAsync(http);
            if (form is null)
            {
                return await RefuseAsync(http, null, formError!, formError!.Description);
            }

            var caller = await authenticator.AuthenticateStartingAsync(http, form);
            clientId = caller.ClientId;
            if (caller.Client is not { } client)
            {
                return await RefuseAsync(http, clientId, caller.Error!, caller.Reason ?? caller.Error!.Description);
            }

            if (!client.GrantTypes.Contains(GrantTypes.DeviceCode))
            {
                var unauthorized = ProtocolError.UnauthorizedClient($"The client is not allowed the grant type '{GrantTypes.DeviceCode}'.");
                return await RefuseAsync(http, client.ClientId, unauthorized, unauthorized.Description);
            }

            if (!ScopeSet.TryParse(form["scope"], out var requested))
            {
                var malformed = ProtocolError.InvalidScope("The scope parameter is malformed.");
                return await RefuseAsync(http, client.ClientId, malformed, malformed.Description);
            }

            var decision = await scopes.ResolveAsync(client, requested, http.RequestAborted);
            if (!decision.Granted)
            {
                var refused = ProtocolError.InvalidScope($"Scopes not allowed for this client: {string.Join(' ', decision.Refused)}.");
                return await RefuseAsync(http, client.ClientId, refused, refused.Description);
            }

            // RFC 8707 §2.1, as at the authorization endpoint: the APIs the user approves are fixed now.
            var problem = ResourceIndicators.Read(form, out var named);
            var (resources, limited) = ResourceIndicators.ForAuthorization(named, client.AllowedResources);
            problem ??= limited;
            if (problem is null && resources.Count > 0)
            {
                var known = await apis.GetAsync(http.RequestAborted);
                problem = ResourceIndicators.CheckAuthorization(resources, known, client.AllowedResources)
                    ?? ResourceIndicators.CheckScopes(resources, decision.Scopes, known);
            }

            if (problem is not null)
            {
                var target = ProtocolError.InvalidTarget(problem);
                return await RefuseAsync(http, client.ClientId, target, target.Description);
            }

            var codes = await devices.StartAsync(client.ClientId, decision.Scopes, resources, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
            if (codes is null)
            {
                var full = ProtocolError.TemporarilyUnavailable("Too many device requests are waiting: try again later.");
                return await RefuseAsync(http, client.ClientId, full, "too many live device requests (of this client or of all)");
            }

            var verification = issuer.Url(MetadataBuilder.Paths.Device);
            var shown = UserCodes.Display(codes.UserCode);
            return OAuthResults.Json(new DeviceAuthorizationResponse(codes.DeviceCode, shown, verification,
                $"{verification}?user_code={Uri.EscapeDataString(shown)}", codes.ExpiresIn, codes.Interval));
        }
        catch (Exception e) when (Dependencies.Away(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Device authorization request could not be served: {Reason}", e.Message);
            return OAuthResults.Unavailable();
        }
    }

    private Task<IResult> RefuseAsync(HttpContext http, string? clientId, ProtocolError error, string reason) =>
        OAuthResults.RefusedAsync(audit, logger, http, new TokenRequestRefused(OAuthResults.Cut(clientId), GrantTypes.DeviceCode, error.Error)
        {
            Actor = clientId is null ? AuditActor.None : AuditActor.Client(OAuthResults.Cut(clientId)!),
            Reason = $"device authorization request: {reason}",
        }, error);
}
