using Grpc.Core;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Consents;
using OAuthAspire.Authorize.OpenIdConnect;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Sessions;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.OpenIdConnect;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// Takes a validated request as far as it can go: sign-in if needed, consent if needed, then the
/// answer to the client. Resumed after the login and consent pages by the request's server-side id.
/// </summary>
public sealed class AuthorizationFlow(PendingAuthorizations pendings, Sessions.Sessions sessions, UserDirectory users, ConsentStore consents,
    RegisteredClients clients, IdTokenHints hints, IServiceProvider services, IAuditSink audit, Issuer issuer, TimeProvider time)
{
    public async Task<IResult> ContinueAsync(HttpContext http, Pending pending, CancellationToken cancellationToken)
    {
        var request = pending.Request;
        var client = await clients.FindAsync(request.ClientId, cancellationToken);
        if (client is null || !client.Client.Active)
        {
            return Html.ErrorPage("Sign-in stopped", "The application is no longer registered or active.");
        }

        var session = await sessions.CurrentAsync(http, cancellationToken);
        var user = session is null ? null : await users.GetAsync(session.UserSysId, cancellationToken);
        var now = time.GetUtcNow();

        // id_token_hint names the user the client expects; another signed-in user must sign in again.
        var hint = await hints.ReadAsync(request.IdTokenHint, cancellationToken);
        if (!hint.Valid)
        {
            return await RefuseAsync(http, pending, OAuthErrorCodes.InvalidRequest, "id_token_hint is not a valid ID token of this issuer.");
        }

        var loginNeeded = user is not { Active: true }
            || (request.Prompt.Contains("login") && pending.LoginDoneAt is null)
            || (hint.Hint is { } expected && expected.Subject != user.SysId && pending.LoginDoneAt is null)
            // A sign-in made for this very request satisfies max_age: through a provider, its auth_time (the provider's) was checked against it there.
            || (session is not null && pending.LoginDoneAt is null
                && !IdToken.SatisfiesMaxAge(new DateTimeOffset(DateTime.SpecifyKind(session.AuthTime, DateTimeKind.Utc)), request.MaxAge, now));
        if (loginNeeded)
        {
            return request.Prompt.Contains("none")
                ? await RefuseAsync(http, pending, OAuthErrorCodes.LoginRequired, "The user is not signed in.")
                : Redirect($"{MetadataBuilder.Paths.Login}?request={pending.Id}");
        }

        var askEveryTime = AsksEveryTime(client, request.RedirectUri);
        var consentNeeded = !pending.ConsentDone
            && (request.Prompt.Contains("consent") || askEveryTime
                || !await consents.CoversAsync(user!.SysId, client.ClientId, [.. AdminApi.GrantableTo(request.Scopes, user.Roles)], cancellationToken));
        if (consentNeeded)
        {
            return request.Prompt.Contains("none")
                ? await RefuseAsync(http, pending, OAuthErrorCodes.ConsentRequired, "The user has not consented.")
                : Redirect($"{MetadataBuilder.Paths.Consent}?request={pending.Id}");
        }

        if (!await pendings.CompleteAsync(pending.Id, cancellationToken))
        {
            return Html.ErrorPage("Sign-in already completed", "This sign-in request has already been answered. Return to the application and start again.");
        }

        return await IssueAsync(http, request, user!, session!, cancellationToken);
    }

    /// <summary>
    /// Native apps (public clients redirecting to loopback or a private-use scheme) can be
    /// impersonated by another app on the device, so their consent is never remembered (RFC 8252 §8.6);
    /// nor is it for a client whose metadata document anyone can publish (its URL is all that is known).
    /// </summary>
    public static bool AsksEveryTime(RegisteredClient client, string redirectUri) =>
        client.DocumentHost is not null
        || (client.Client.Public && Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri)
            && (uri.Scheme is not ("http" or "https") || Protocol.Clients.ClientRules.IsLoopback(uri)));

    private Task<IResult> IssueAsync(HttpContext http, PendingRequest request, User user, LoginSession session, CancellationToken cancellationToken) =>
        request.ResponseType == "code" ? IssueCodeAsync(http, request, user, session, cancellationToken) : IssueImplicitAsync(http, request, user, session, cancellationToken);

    private async Task<IResult> IssueImplicitAsync(HttpContext http, PendingRequest request, User user, LoginSession session, CancellationToken cancellationToken)
    {
        var tokens = new IssueImplicitTokensRequest
        {
            ClientId = request.ClientId,
            UserSysId = user.SysId,
            AccessToken = true,
            IdToken = request.ResponseType == "id_token token",
            Nonce = request.Nonce ?? "",
            SessionId = session.Sid,
            AuthTime = new DateTimeOffset(DateTime.SpecifyKind(session.AuthTime, DateTimeKind.Utc)).ToUnixTimeSeconds(),
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString() ?? "",
        };
        tokens.Scopes.AddRange(AdminApi.GrantableTo(request.Scopes, user.Roles));
        tokens.Resources.AddRange(request.Resources);
        tokens.Amr.AddRange(session.Amr);
        try
        {
            var reply = await services.GetRequiredService<TokenIssuerClient>().IssueImplicitTokensAsync(tokens, cancellationToken: cancellationToken);
            return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                ("access_token", reply.AccessToken), ("token_type", "Bearer"), ("expires_in", reply.ExpiresIn.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("scope", reply.Scope), ("id_token", reply.IdToken.Length == 0 ? null : reply.IdToken));
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                ("error", OAuthErrorCodes.TemporarilyUnavailable), ("error_description", "The server is temporarily unavailable."));
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument)
        {
            // The API named (RFC 8707) changed since the request was checked.
            return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                ("error", OAuthErrorCodes.InvalidTarget), ("error_description", e.Status.Detail));
        }
    }

    private async Task<IResult> IssueCodeAsync(HttpContext http, PendingRequest request, User user, LoginSession session, CancellationToken cancellationToken)
    {
        var code = new CreateAuthorizationCodeRequest
        {
            ClientId = request.ClientId,
            UserSysId = user.SysId,
            UserName = user.UserName,
            RedirectUri = request.RedirectUri,
            RedirectUriSent = request.RedirectUriSent,
            CodeChallenge = request.CodeChallenge ?? "",
            CodeChallengeMethod = request.CodeChallengeMethod ?? "",
            SessionId = session.Sid,
            AuthTime = new DateTimeOffset(DateTime.SpecifyKind(session.AuthTime, DateTimeKind.Utc)).ToUnixTimeSeconds(),
            Nonce = request.Nonce ?? "",
            DpopJkt = request.DpopJkt ?? "",
            PushedRequestUri = request.PushedRequestUri ?? "",
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString() ?? "",
        };
        code.Scopes.AddRange(AdminApi.GrantableTo(request.Scopes, user.Roles));
        code.Resources.AddRange(request.Resources);
        code.Amr.AddRange(session.Amr);
        try
        {
            var reply = await services.GetRequiredService<TokenIssuerClient>().CreateAuthorizationCodeAsync(code, cancellationToken: cancellationToken);
            return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State, ("code", reply.Code));
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition)
        {
            // The pushed request was spent meanwhile (a second tab), or its sign-in outlasted the claim: one code per push.
            return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                ("error", OAuthErrorCodes.InvalidRequest), ("error_description", "The pushed authorization request was used already."));
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State,
                ("error", OAuthErrorCodes.TemporarilyUnavailable), ("error_description", "The server is temporarily unavailable."));
        }
    }

    /// <summary>Ends the request with an error at the client's redirect URI, audited.</summary>
    public async Task<IResult> RefuseAsync(HttpContext http, Pending pending, string error, string description)
    {
        await pendings.CompleteAsync(pending.Id, http.RequestAborted);
        var request = pending.Request;
        await audit.WriteAsync(new AuthorizationRequestRefused(request.ClientId, request.RedirectUri, error)
        {
            Actor = AuditActor.Client(request.ClientId),
            Outcome = AuditOutcome.Failure,
            Reason = description,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        }, http.RequestAborted);
        return ClientResponses.Send(issuer, request.RedirectUri, request.ResponseMode, request.State, ("error", error), ("error_description", description));
    }

    private static IResult Redirect(string location) => TypedResults.Redirect(location);
}
