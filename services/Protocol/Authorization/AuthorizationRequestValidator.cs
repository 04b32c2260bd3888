using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.Protocol.Scopes;

namespace OAuthAspire.Protocol.Authorization;

/// <summary>The rules of RFC 6749 §4.1.1, RFC 7636, RFC 9700 and OpenID Connect Core §3.1.2.1, in order.</summary>
public static class AuthorizationRequestValidator
{
    public static readonly IReadOnlySet<string> PromptValues = new HashSet<string>(StringComparer.Ordinal) { "none", "login", "consent" };

    private sealed record Failure(string Error, string Description);

    public static AuthorizationValidation Validate(RequestParameters parameters, ClientProfile? client, AuthorizeSettings settings)
    {
        var check = parameters.Check();
        var clientId = parameters["client_id"];
        if (clientId is null)
        {
            return new AuthorizationValidation.ErrorPage("The request names no client (client_id is missing).");
        }

        if (client is null || !client.Active)
        {
            return new AuthorizationValidation.ErrorPage("The client is unknown or inactive.");
        }

        var requestedRedirect = parameters["redirect_uri"];
        var scopesOk = ScopeSet.TryParse(parameters["scope"], out var scopes);
        string redirectUri;
        if (requestedRedirect is null)
        {
            // RFC 6749 §3.1.2.3: only a client with exactly one registered URI may omit it; OpenID
            // Connect always requires it.
            if (client.RedirectUris.Count != 1 || scopes.Contains("openid"))
            {
                return new AuthorizationValidation.ErrorPage("redirect_uri is required for this client.");
            }

            redirectUri = client.RedirectUris[0];
        }
        else
        {
            var match = RedirectUris.FindMatch(requestedRedirect, client.RedirectUris);
            if (match is null)
            {
                return new AuthorizationValidation.ErrorPage("The redirect_uri is not registered for this client.");
            }

            redirectUri = requestedRedirect;
        }

        if (!check.IsOk)
        {
            return new AuthorizationValidation.ErrorPage(check.Description!);
        }

        // From here on the redirect URI is trusted: errors go back to the client.
        var state = parameters["state"];
        var responseType = parameters["response_type"];
        var implicitFlow = responseType is "token" or "id_token token";
        var responseMode = parameters["response_mode"] ?? (implicitFlow ? "fragment" : "query");
        static Failure Fail(string error, string description) => new(error, description);
        Failure? failure = (responseType, responseMode) switch
        {
            (null, _) => Fail(OAuthErrorCodes.InvalidRequest, "response_type is required."),
            _ when responseMode is not ("query" or "fragment" or "form_post") => Fail(OAuthErrorCodes.InvalidRequest, "Unsupported response_mode."),
            ("code", _) when !client.GrantTypes.Contains(GrantTypes.AuthorizationCode) =>
                Fail(OAuthErrorCodes.UnauthorizedClient, "The client may not use the authorization code grant."),
            ("code", _) => null,
            ("token" or "id_token token", "query") => Fail(OAuthErrorCodes.InvalidRequest, "Tokens are never returned in the query string."),
            ("token" or "id_token token", _) when !client.GrantTypes.Contains(GrantTypes.Implicit) =>
                Fail(OAuthErrorCodes.UnauthorizedClient, "The client may not use the implicit grant."),
            ("token" or "id_token token", _) => null,
            _ => Fail(OAuthErrorCodes.UnsupportedResponseType, $"The response type '{responseType}' is not supported."),
        };
        failure ??= settings.RequireState && state is null ? Fail(OAuthErrorCodes.InvalidRequest, "state is required.") : null;
        failure ??= !scopesOk ? Fail(OAuthErrorCodes.InvalidScope, "The scope parameter is malformed.") : null;

        var prompt = (parameters["prompt"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        failure ??= prompt.Any(p => !PromptValues.Contains(p)) ? Fail(OAuthErrorCodes.InvalidRequest, "Unsupported prompt value.") : null;
        failure ??= prompt.Contains("none") && prompt.Count > 1 ? Fail(OAuthErrorCodes.InvalidRequest, "prompt=none cannot be combined.") : null;

        int? maxAge = null;
        if (parameters["max_age"] is { } maxAgeText)
        {
            if (int.TryParse(maxAgeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            {
                maxAge = seconds;
            }
            else
            {
                failure ??= Fail(OAuthErrorCodes.InvalidRequest, "max_age must be a non-negative integer.");
            }
        }

        var challenge = parameters["code_challenge"];
        var method = parameters["code_challenge_method"];
        if (responseType == "code")
        {
            if (challenge is null)
            {
                failure ??= client.Public || client.PkceRequired ? Fail(OAuthErrorCodes.InvalidRequest, "code_challenge is required (PKCE).") : null;
                failure ??= method is not null ? Fail(OAuthErrorCodes.InvalidRequest, "code_challenge_method without code_challenge.") : null;
            }
            else
            {
                // A missing method means "plain" (RFC 7636 §4.3), which is not accepted.
                failure ??= method != Pkce.S256 ? Fail(OAuthErrorCodes.InvalidRequest, "Only the S256 code_challenge_method is supported.") : null;
                failure ??= !Pkce.IsValidChallenge(challenge) ? Fail(OAuthErrorCodes.InvalidRequest, "code_challenge is malformed.") : null;
            }
        }

        // RFC 9449 §10: the thumbprint of the DPoP key the code will be redeemed with (43 base64url characters, a SHA-256).
        var dpopJkt = parameters["dpop_jkt"];
        failure ??= dpopJkt is not null && (responseType != "code" || !IsThumbprint(dpopJkt))
            ? Fail(OAuthErrorCodes.InvalidRequest, "dpop_jkt must be a base64url SHA-256 JWK thumbprint, with response_type code.")
            : null;

        // RFC 8707 §2.1: several resources for a code; an implicit token has one audience.
        var resourceProblem = ResourceIndicators.Read(parameters, out var named);
        var (resources, limited) = ResourceIndicators.ForAuthorization(named, client.AllowedResources);
        resourceProblem ??= limited;
        resourceProblem ??= settings.Resources is { } known ? ResourceIndicators.CheckAuthorization(resources, known, client.AllowedResources) : null;
        resourceProblem ??= implicitFlow && resources.Count > 1 ? "A token returned from the authorization endpoint has one audience: name one resource." : null;
        failure ??= resourceProblem is not null ? Fail(OAuthErrorCodes.InvalidTarget, resourceProblem) : null;

        var nonce = parameters["nonce"];
        failure ??= responseType == "id_token token" && nonce is null ? Fail(OAuthErrorCodes.InvalidRequest, "nonce is required for id_token token.") : null;

        if (failure is not null)
        {
            var mode = responseMode is "query" or "fragment" or "form_post" ? responseMode : implicitFlow ? "fragment" : "query";
            // Errors of the implicit flow never go in the query either.
            if (implicitFlow && mode == "query")
            {
                mode = "fragment";
            }

            return new AuthorizationValidation.ErrorRedirect(redirectUri, mode, failure.Error, failure.Description, state);
        }

        return new AuthorizationValidation.Valid(new ValidatedAuthorizationRequest
        {
            ClientId = client.ClientId,
            ResponseType = responseType!,
            RedirectUri = redirectUri,
            RedirectUriSent = requestedRedirect is not null,
            ResponseMode = responseMode,
            Scopes = scopes,
            State = state,
            CodeChallenge = challenge,
            CodeChallengeMethod = challenge is null ? null : method,
            Prompt = prompt,
            MaxAge = maxAge,
            Nonce = nonce,
            LoginHint = parameters["login_hint"],
            IdTokenHint = parameters["id_token_hint"],
            DpopJkt = dpopJkt,
            Resources = resources,
        });
    }

    private static bool IsThumbprint(string value) =>
        value.Length == 43 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
