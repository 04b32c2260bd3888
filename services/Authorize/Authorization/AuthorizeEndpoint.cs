using Grpc.Core;
using Microsoft.Extensions.Options;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Scopes;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// <c>GET|POST /oauth/authorize</c> (alias <c>/oauth_auth.do</c>). A request whose client or
/// redirect URI cannot be trusted gets an error page; anything else goes back to the client.
/// </summary>
public sealed class AuthorizeEndpoint(RegisteredClients clients, ScopeCatalog scopes, ApiResourceCatalog apis, PendingAuthorizations pendings, AuthorizationFlow flow,
    RequestReader requests, IAuditSink audit, Issuer issuer, IOptions<AuthorizeOptions> options, ILogger<AuthorizeEndpoint> logger)
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var path in new[] { MetadataBuilder.Paths.Authorization, MetadataBuilder.Paths.AuthorizationAlias })
        {
            // Clients post here cross-site by design: no antiforgery on this one.
            endpoints.MapMethods(path, ["GET", "POST"], (HttpContext http, AuthorizeEndpoint endpoint) => endpoint.HandleAsync(http)).DisableAntiforgery();
        }
    }

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        var parameters = await ReadAsync(http);
        if (parameters is null)
        {
            return Html.ErrorPage("Invalid request", "An authorization request is sent as a query string or an application/x-www-form-urlencoded form.");
        }

        AuthorizationValidation? validation = null;
        try
        {
            // A pushed request (RFC 9126 §4) or a signed request object (RFC 9101 §6.3) stands in for everything else sent.
            var pushedUri = parameters["request_uri"];
            var requestObject = parameters["request"];
            var signed = false;
            if (pushedUri is not null || requestObject is not null)
            {
                if (parameters.Check() is { IsOk: false } repeated)
                {
                    return Html.ErrorPage("This sign-in request cannot be completed", repeated.Description!);
                }

                var read = pushedUri is null ? await requests.RequestObjectAsync(parameters, requestObject!, http.RequestAborted)
                    : requestObject is null ? await requests.PushedAsync(parameters, pushedUri, http.RequestAborted)
                    : new RequestRead(null, false, "A request carries either request or request_uri, not both.");
                if (read.Parameters is null)
                {
                    var error = (pushedUri is not null && requestObject is not null) || !Identifiers.IsClientId(parameters["client_id"])
                        ? OAuthErrorCodes.InvalidRequest
                        : pushedUri is null ? OAuthErrorCodes.InvalidRequestObject : OAuthErrorCodes.InvalidRequestUri;
                    await AuditAsync(http, parameters["client_id"], null, error, read.Problem!);
                    return Html.ErrorPage("This sign-in request cannot be completed", read.Problem!);
                }

                (parameters, signed) = (read.Parameters, read.Signed);
            }

            var clientId = parameters["client_id"];
            var client = Identifiers.IsClientId(clientId) ? await clients.ResolveAsync(clientId!, http.RequestAborted) : null;
            // The APIs are asked for only when the request names one (RFC 8707).
            var resources = parameters.All(ResourceIndicators.Parameter).Count > 0 || client?.Profile.AllowedResources.Count > 0
                ? await apis.GetAsync(http.RequestAborted)
                : null;
            validation = AuthorizationRequestValidator.Validate(parameters, client?.Profile, new AuthorizeSettings(options.Value.RequireState, resources));
            switch (validation)
            {
                case AuthorizationValidation.ErrorPage page:
                    await AuditAsync(http, clientId, null, OAuthErrorCodes.InvalidRequest, page.Description);
                    return Html.ErrorPage("This sign-in request cannot be completed", page.Description);

                case AuthorizationValidation.ErrorRedirect error:
                    await AuditAsync(http, clientId, error.RedirectUri, error.Error, error.Description);
                    return ClientResponses.Send(issuer, error.RedirectUri, error.ResponseMode, error.State, ("error", error.Error), ("error_description", error.Description));
            }

            var request = ((AuthorizationValidation.Valid)validation).Request;
            var unmet = pushedUri is null && (options.Value.RequirePushedAuthorizationRequests || client!.RequirePushedAuthorizationRequests)
                ? "This client's authorization requests must be pushed first (RFC 9126)."
                : !signed && client!.RequireSignedRequestObject ? "This client's authorization requests must be signed request objects (RFC 9101)." : null;
            if (unmet is not null)
            {
                await AuditAsync(http, client!.ClientId, request.RedirectUri, OAuthErrorCodes.InvalidRequest, unmet);
                return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                    ("error", OAuthErrorCodes.InvalidRequest), ("error_description", unmet));
            }

            var decision = await scopes.ResolveAsync(client!.ClientId, request.Scopes, client.Client.Scopes, client.Client.DefaultScopes, http.RequestAborted);
            if (!decision.Granted)
            {
                var description = "A requested scope is not allowed for this client.";
                await AuditAsync(http, client.ClientId, request.RedirectUri, OAuthErrorCodes.InvalidScope, $"refused scopes: {string.Join(' ', decision.Refused)}");
                return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                    ("error", OAuthErrorCodes.InvalidScope), ("error_description", description));
            }

            // RFC 8707: an API none of the granted scopes serves could never get a token.
            if (request.Resources.Count > 0 && ResourceIndicators.CheckScopes(request.Resources, decision.Scopes, await apis.GetAsync(http.RequestAborted)) is { } unserved)
            {
                await AuditAsync(http, client.ClientId, request.RedirectUri, OAuthErrorCodes.InvalidTarget, unserved);
                return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                    ("error", OAuthErrorCodes.InvalidTarget), ("error_description", unserved));
            }

            var pending = PendingRequest.From(request, decision.Scopes) with { PushedRequestUri = pushedUri };
            var id = await pendings.SaveAsync(pending, http.RequestAborted);
            return await flow.ContinueAsync(http, new Pending(id, pending, null, false), http.RequestAborted);
        }
        catch (Exception e) when (Dependencies.Away(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Authorization request could not be served: {Reason}", e.Message);
            // Only a verified redirect URI may receive the error; otherwise a page says it.
            return validation is AuthorizationValidation.Valid valid
                ? ClientResponses.Send(issuer, valid.Request.RedirectUri, valid.Request.ResponseMode, valid.Request.State,
                    ("error", OAuthErrorCodes.TemporarilyUnavailable), ("error_description", "The server is temporarily unavailable."))
                : Html.ErrorPage("Temporarily unavailable", "The sign-in service is temporarily unavailable. Try again shortly.", 503);
        }
    }

    private static async Task<RequestParameters?> ReadAsync(HttpContext http)
    {
        if (HttpMethods.IsGet(http.Request.Method))
        {
            return new RequestParameters(http.Request.Query.Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key, kv.Value.ToArray())));
        }

        if (!http.Request.HasFormContentType || http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        try
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return new RequestParameters(form.Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key, kv.Value.ToArray())));
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return null;
        }
    }

    private Task AuditAsync(HttpContext http, string? clientId, string? redirectUri, string error, string reason) =>
        audit.WriteAsync(new AuthorizationRequestRefused(Truncate(clientId), Truncate(redirectUri), error)
        {
            Actor = clientId is null ? AuditActor.None : AuditActor.Client(Truncate(clientId)!),
            Outcome = AuditOutcome.Failure,
            Reason = reason,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        }, http.RequestAborted);

    private static string? Truncate(string? value) => value is { Length: > 256 } ? value[..256] : value;
}
