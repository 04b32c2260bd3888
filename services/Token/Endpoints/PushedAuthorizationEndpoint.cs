using System.Text.Json.Serialization;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Dpop;
using OAuthAspire.Token.Par;
using OAuthAspire.Token.Scopes;

namespace OAuthAspire.Token.Endpoints;

/// <summary>The answer to a push (RFC 9126 §2.2).</summary>
public sealed record PushedAuthorizationResponse(
    [property: JsonPropertyName("request_uri")] string RequestUri,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

/// <summary>
/// <c>POST /oauth/par</c> (RFC 9126): the client authenticates as at the token endpoint (here, since
/// this service holds every client credential method), the authorization request is checked by the
/// authorization endpoint's own rules and the client's scopes, and kept for 60 seconds under a
/// one-time <c>request_uri</c>. The request may come as a signed request object (RFC 9101), which then
/// stands for every other parameter. A DPoP proof on the push pins the code to its key (RFC 9449 §10.1).
/// Refusals are JSON errors (§2.3), audited.
/// </summary>
public sealed class PushedAuthorizationEndpoint(ClientAuthenticator authenticator, PushedRequests requests, RequestObjects requestObjects, ScopeResolver scopes,
    ApiResourceCatalog apis, TokenDpop dpop, IAuditSink audit, IConfiguration configuration, ILogger<PushedAuthorizationEndpoint> logger)
{
    private readonly AuthorizeSettings _settings = new(configuration.GetValue("Authorize:RequireState", true));

    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(MetadataBuilder.Paths.PushedAuthorization, (HttpContext http, PushedAuthorizationEndpoint endpoint) => endpoint.HandleAsync(http));

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        string? clientId = null;
        try
        {
            var (form, formError) = await OAuthResults.ReadFormAsync(http);
            if (form is null)
            {
                return await RefuseAsync(http, null, null, formError!, formError!.Description);
            }

            var caller = await authenticator.AuthenticateStartingAsync(http, form);
            clientId = caller.ClientId;
            if (caller.Client is not { } client)
            {
                return await RefuseAsync(http, clientId, form["redirect_uri"], caller.Error!, caller.Reason ?? caller.Error!.Description);
            }

            // RFC 9101 §6.3, RFC 9126 §3: a signed request object stands for every other parameter.
            var source = form;
            RequestObjectResult? signedBy = null;
            if (PushedAuthorization.CheckPush(form, client.ClientId) is { } pushError)
            {
                return await RefuseAsync(http, client.ClientId, form["redirect_uri"], pushError, pushError.Description);
            }

            if (form["request"] is { } requestObject)
            {
                var verified = await requestObjects.VerifyAsync(client.ClientId, requestObject, spend: false, client.Fapi2, http.RequestAborted);
                if (!verified.IsValid)
                {
                    var invalid = new ProtocolError(OAuthErrorCodes.InvalidRequestObject, verified.Problem!, StatusCodes.Status400BadRequest);
                    return await RefuseAsync(http, client.ClientId, null, invalid, invalid.Description);
                }

                (source, signedBy) = (verified.Parameters!, verified);
            }
            else if (client.RequireSignedRequestObject)
            {
                var unsigned = ProtocolError.InvalidRequest("This client's authorization requests must be signed request objects (RFC 9101).");
                return await RefuseAsync(http, client.ClientId, form["redirect_uri"], unsigned, unsigned.Description);
            }

            // FAPI 2.0 §5.3.2.2: the redirect URI travels in the push, never only in the browser.
            if (client.Fapi2 && source["redirect_uri"] is null)
            {
                var unnamed = ProtocolError.InvalidRequest("This client must send redirect_uri in the pushed request (FAPI 2.0).");
                return await RefuseAsync(http, client.ClientId, null, unnamed, unnamed.Description);
            }

            // What the authorization endpoint will read: the request's own parameters, naming the authenticated client.
            var pushed = PushedAuthorization.Stored(source, client.ClientId);
            var named = source.All(ResourceIndicators.Parameter);
            var error = (signedBy is not null ? PushedAuthorization.CheckPush(source, client.ClientId) : null)
                ?? PushedAuthorization.ErrorOf(AuthorizationRequestValidator.Validate(RequestParameters.FromSingle(pushed), client.Profile,
                    named.Count > 0 || client.AllowedResources.Count > 0
                        ? _settings with { Resources = await apis.GetAsync(http.RequestAborted) }
                        : _settings));
            if (error is null)
            {
                var decision = await scopes.ResolveAsync(client, ScopeSet.TryParse(source["scope"], out var requested) ? requested : [], http.RequestAborted);
                error = decision.Granted ? null : ProtocolError.InvalidScope($"Scopes not allowed for this client: {string.Join(' ', decision.Refused)}.");
                // RFC 8707: an API none of the granted scopes serves could never get a token.
                if (error is null && named.Count > 0 && ResourceIndicators.CheckScopes(named, decision.Scopes, await apis.GetAsync(http.RequestAborted)) is { } unserved)
                {
                    error = ProtocolError.InvalidTarget(unserved);
                }
            }

            if (error is not null)
            {
                return await RefuseAsync(http, client.ClientId, source["redirect_uri"], error, error.Description);
            }

            // RFC 9449 §10.1: a DPoP proof on the push pins its key for the code, as dpop_jkt would.
            var binding = await dpop.CheckAsync(http, client, push: true);
            if (binding.Error is { } proofError)
            {
                return await RefuseAsync(http, client.ClientId, form["redirect_uri"], proofError, binding.Reason ?? proofError.Description);
            }

            if (binding.Jkt is { } jkt)
            {
                if (pushed.TryGetValue("dpop_jkt", out var pinned) && pinned != jkt)
                {
                    var mismatch = ProtocolError.InvalidRequest("dpop_jkt names another key than the DPoP proof's.");
                    return await RefuseAsync(http, client.ClientId, form["redirect_uri"], mismatch, mismatch.Description);
                }

                pushed["dpop_jkt"] = jkt;
            }

            // Last, so a retry for a DPoP nonce may resend the same object.
            if (signedBy is not null && !await requestObjects.SpendAsync(client.ClientId, signedBy, http.RequestAborted))
            {
                var replayed = new ProtocolError(OAuthErrorCodes.InvalidRequestObject, "The request object was used before (its jti).", StatusCodes.Status400BadRequest);
                return await RefuseAsync(http, client.ClientId, null, replayed, replayed.Description);
            }

            var requestUri = await requests.SaveAsync(client.ClientId, pushed, signedBy is not null, http.RequestAborted);
            return OAuthResults.Json(new PushedAuthorizationResponse(requestUri, (int)PushedAuthorization.Lifetime.TotalSeconds), StatusCodes.Status201Created);
        }
        catch (Exception e) when (Dependencies.Away(e) && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("Pushed authorization request could not be served: {Reason}", e.Message);
            return OAuthResults.Unavailable();
        }
    }

    private Task<IResult> RefuseAsync(HttpContext http, string? clientId, string? redirectUri, ProtocolError error, string reason) =>
        OAuthResults.RefusedAsync(audit, logger, http, new AuthorizationRequestRefused(OAuthResults.Cut(clientId), OAuthResults.Cut(redirectUri), error.Error)
        {
            Actor = clientId is null ? AuditActor.None : AuditActor.Client(OAuthResults.Cut(clientId)!),
            Reason = $"pushed request: {reason}",
        }, error);
}
