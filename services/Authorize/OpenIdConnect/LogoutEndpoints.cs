using Microsoft.AspNetCore.Antiforgery;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Sessions;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Authorize.OpenIdConnect;

/// <summary>
/// <c>/oauth/logout</c> (OpenID Connect RP-Initiated Logout 1.0). The client is named by
/// <c>id_token_hint</c> or <c>client_id</c>; the browser returns only to one of that client's
/// exactly registered post-logout redirect URIs, with <c>state</c>, else sees a signed-out page.
/// Without a hint proving the request comes from the signed-in user's app, the user confirms first.
/// </summary>
public static class LogoutEndpoints
{
    public static IEndpointRouteBuilder MapLogoutEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods(MetadataBuilder.Paths.EndSession, ["GET", "POST"], StartAsync).DisableAntiforgery();
        endpoints.MapPost(ConfirmPath, ConfirmAsync).DisableAntiforgery();
        return endpoints;
    }

    private const string ConfirmPath = MetadataBuilder.Paths.EndSession + "/confirm";

    private sealed record LogoutRequest(string? ClientId, string? PostLogoutRedirectUri, string? State);

    private static async Task<IResult> StartAsync(HttpContext http, IdTokenHints hints, RegisteredClients clients, Sessions.Sessions sessions, UserDirectory users,
        IAuditSink audit, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var parameters = HttpMethods.IsGet(http.Request.Method)
            ? new RequestParameters(http.Request.Query.Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key, kv.Value.ToArray())))
            : http.Request.HasFormContentType
                ? new RequestParameters((await http.Request.ReadFormAsync(cancellationToken)).Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key, kv.Value.ToArray())))
                : RequestParameters.Empty;
        if (!parameters.Check().IsOk)
        {
            return Html.ErrorPage("Sign-out request invalid", parameters.Check().Description!);
        }

        var hint = await hints.ReadAsync(parameters["id_token_hint"], cancellationToken);
        if (!hint.Valid)
        {
            return Html.ErrorPage("Sign-out request invalid", "The id_token_hint is not an ID token of this server.");
        }

        var clientId = parameters["client_id"];
        if (hint.Hint is { } h && clientId is not null && !h.Audiences.Contains(clientId))
        {
            return Html.ErrorPage("Sign-out request invalid", "client_id does not match the id_token_hint.");
        }

        clientId ??= hint.Hint?.Audiences.FirstOrDefault();
        var request = new LogoutRequest(clientId, await RegisteredRedirectAsync(clients, clientId, parameters["post_logout_redirect_uri"], cancellationToken),
            parameters["state"]);

        var session = await sessions.CurrentAsync(http, cancellationToken);
        if (session is null)
        {
            return SignedOut(request);
        }

        // The hint proves the request when it names this very user (and session, when it carries one).
        var proven = hint.Hint is { } proof && proof.Subject == session.UserSysId && (proof.SessionId is null || proof.SessionId == session.Sid);
        if (proven)
        {
            await EndAsync(http, session, request.ClientId, sessions, users, audit, cancellationToken);
            return SignedOut(request);
        }

        var tokens = antiforgery.GetAndStoreTokens(http);
        return Html.Page("Sign out", $"""
            <h1>Sign out?</h1>
            <p>An application asked to sign you out of OAuthAspire.</p>
            <form method="post" action="{ConfirmPath}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="hidden" name="client_id" value="{Html.E(request.ClientId)}">
            <input type="hidden" name="post_logout_redirect_uri" value="{Html.E(request.PostLogoutRedirectUri)}">
            <input type="hidden" name="state" value="{Html.E(request.State)}">
            <div class="actions">
            <button type="submit" name="decision" value="logout" class="primary">Sign out</button>
            <button type="submit" name="decision" value="stay" class="secondary">Stay signed in</button>
            </div>
            </form>
            """, formTargets: request.PostLogoutRedirectUri is null ? null : [Html.SourceOf(request.PostLogoutRedirectUri)]);
    }

    private static async Task<IResult> ConfirmAsync(HttpContext http, RegisteredClients clients, Sessions.Sessions sessions, UserDirectory users, IAuditSink audit,
        IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Sign-out expired", "The sign-out form expired or was not sent by this site.");
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var clientId = NullIfEmpty(form["client_id"].ToString());
        // Re-checked: the form is the browser's to tamper with.
        var request = new LogoutRequest(clientId, await RegisteredRedirectAsync(clients, clientId, NullIfEmpty(form["post_logout_redirect_uri"].ToString()), cancellationToken),
            NullIfEmpty(form["state"].ToString()));
        if (form["decision"] != "logout")
        {
            return Html.Page("Still signed in", "<h1>You are still signed in</h1><p>You can close this window.</p>");
        }

        if (await sessions.CurrentAsync(http, cancellationToken) is { } session)
        {
            await EndAsync(http, session, clientId, sessions, users, audit, cancellationToken);
        }

        return SignedOut(request);
    }

    private static async Task<string?> RegisteredRedirectAsync(RegisteredClients clients, string? clientId, string? uri, CancellationToken cancellationToken)
    {
        if (clientId is null || uri is null)
        {
            return null;
        }

        var client = await clients.FindAsync(clientId, cancellationToken);
        return client is { Client.Active: true } && client.Client.PostLogoutRedirectUris.Contains(uri, StringComparer.Ordinal) ? uri : null;
    }

    private static async Task EndAsync(HttpContext http, LoginSession session, string? clientId, Sessions.Sessions sessions, UserDirectory users, IAuditSink audit,
        CancellationToken cancellationToken)
    {
        await sessions.EndAsync(http, session, cancellationToken);
        var user = await users.GetAsync(session.UserSysId, cancellationToken);
        await audit.WriteAsync(new SessionEnded(session.UserSysId, user?.UserName ?? "", clientId, session.Sid)
        {
            Actor = new AuditActor(session.UserSysId, user?.UserName, clientId),
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        }, cancellationToken);
    }

    private static IResult SignedOut(LogoutRequest request)
    {
        if (request.PostLogoutRedirectUri is { } uri)
        {
            var location = request.State is null ? uri : $"{uri}{(uri.Contains('?') ? '&' : '?')}state={Uri.EscapeDataString(request.State)}";
            return TypedResults.Redirect(location);
        }

        return Html.Page("Signed out", "<h1>You are signed out</h1><p>You can close this window.</p>");
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
