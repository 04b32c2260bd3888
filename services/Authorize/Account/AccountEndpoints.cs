using Microsoft.AspNetCore.Antiforgery;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Consents;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Account;

/// <summary>
/// The signed-in user's own account (<c>/account</c>), on the sign-in session (no admin role, no token):
/// the applications they connected, with what each may do and when it last got a token for them;
/// disconnecting one (its consent withdrawn: the token service then ends its tokens for this user);
/// and changing their password with the current one. Forms carry antiforgery tokens; the pages run no script.
/// </summary>
public static class AccountEndpoints
{
    private const string Home = MetadataBuilder.Paths.Account;
    private const string DisconnectPath = Home + "/disconnect";
    private const string PasswordPath = Home + "/password";

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Home, ShowAsync);
        endpoints.MapPost(DisconnectPath, DisconnectAsync).DisableAntiforgery();
        endpoints.MapGet(PasswordPath, ShowPasswordAsync);
        endpoints.MapPost(PasswordPath, ChangePasswordAsync).DisableAntiforgery();
        return endpoints;
    }

    private static Task<IResult> ShowAsync(string? disconnect, HttpContext http, AccountVisit visit, CancellationToken cancellationToken) =>
        visit.GuardAsync(async () => await visit.SignedInAsync(http, cancellationToken) is { } signedIn
            ? await visit.HomeAsync(http, signedIn.User, disconnect, null, cancellationToken)
            : await visit.SignInFirstAsync(Home, cancellationToken));

    private static Task<IResult> DisconnectAsync(HttpContext http, AccountVisit visit, ConsentStore consents, RegisteredClients clients,
        IAuditSink audit, IAntiforgery antiforgery, CancellationToken cancellationToken) =>
        visit.GuardAsync(() => DisconnectCoreAsync(http, visit, consents, clients, audit, antiforgery, cancellationToken));

    private static async Task<IResult> DisconnectCoreAsync(HttpContext http, AccountVisit visit, ConsentStore consents, RegisteredClients clients,
        IAuditSink audit, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Form expired", "The form expired or was not sent by this site. Open your account page and try again.");
        }

        if (await visit.SignedInAsync(http, cancellationToken) is not { } signedIn)
        {
            return await visit.SignInFirstAsync(Home, cancellationToken);
        }

        var user = signedIn.User;

        var clientId = (await http.Request.ReadFormAsync(cancellationToken))["client_id"].ToString();
        if (!Identifiers.IsClientId(clientId))
        {
            return await visit.HomeAsync(http, user, null, "That application is not connected to your account.", cancellationToken);
        }

        var name = (await clients.FindAsync(clientId, cancellationToken))?.Name ?? clientId;
        // The same withdrawal as an administrator's, audited as the user's own.
        var withdrawn = await consents.DataSource.InTransactionAsync(async tx =>
        {
            var deleted = await ConsentStore.RevokeAsync(tx, user.SysId, clientId, cancellationToken);
            foreach (var consent in deleted)
            {
                await audit.WriteAsync(tx, new ConsentRevoked(user.SysId, user.UserName, consent.ClientId)
                {
                    Actor = AuditActor.User(user.SysId, user.UserName), RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
                }, cancellationToken);
            }

            return deleted.Count > 0;
        }, cancellationToken);
        var notice = withdrawn
            ? $"{name} is disconnected. The tokens it holds for you stop working within seconds."
            : $"{name} was not connected to your account.";
        return await visit.HomeAsync(http, user, null, notice, cancellationToken);
    }

    private static Task<IResult> ShowPasswordAsync(HttpContext http, AccountVisit visit, IAntiforgery antiforgery, CancellationToken cancellationToken) =>
        visit.GuardAsync(async () => await visit.SignedInAsync(http, cancellationToken) is { } signedIn
            ? PasswordForm(http, antiforgery, signedIn.User, null)
            : await visit.SignInFirstAsync(PasswordPath, cancellationToken));

    private static Task<IResult> ChangePasswordAsync(HttpContext http, AccountVisit visit, UserDirectory users, Sessions.Sessions sessions,
        IAuditSink audit, IAntiforgery antiforgery, CancellationToken cancellationToken) =>
        visit.GuardAsync(() => ChangePasswordCoreAsync(http, visit, users, sessions, audit, antiforgery, cancellationToken));

    private static async Task<IResult> ChangePasswordCoreAsync(HttpContext http, AccountVisit visit, UserDirectory users, Sessions.Sessions sessions,
        IAuditSink audit, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Form expired", "The form expired or was not sent by this site. Open your account page and try again.");
        }

        if (await visit.SignedInAsync(http, cancellationToken) is not { } signedIn)
        {
            return await visit.SignInFirstAsync(PasswordPath, cancellationToken);
        }

        var (session, user) = signedIn;

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var (current, next, repeat) = (form["current_password"].ToString(), form["new_password"].ToString(), form["repeat_password"].ToString());
        if (next != repeat)
        {
            return PasswordForm(http, antiforgery, user, "The new passwords do not match.");
        }

        var remote = http.Connection.RemoteIpAddress?.ToString();
        var reply = await users.ChangePasswordAsync(user.SysId, current, next, remote, cancellationToken);
        if (reply.Failure is "invalid_credentials" or "locked_out")
        {
            // A wrong current password is a failed sign-in as any other: audited each time, not only at the lock.
            await audit.WriteAsync(new LoginFailed(user.SysId, user.UserName, null)
            {
                Actor = AuditActor.User(user.SysId, user.UserName), Outcome = AuditOutcome.Failure, RemoteAddress = remote,
                Reason = reply.Failure == "locked_out" ? "LockedOut (account page password change)" : "InvalidCredentials (account page password change)",
            }, cancellationToken);
        }

        if (!reply.Ok)
        {
            return PasswordForm(http, antiforgery, user, reply.Failure switch
            {
                "invalid_password" => reply.Detail,
                "locked_out" => "Too many wrong passwords: your account is locked for a while. Try again later.",
                _ => "Your current password is not correct.",
            });
        }

        // Every session of the user ends on the change's event; this one at once.
        await sessions.EndAsync(http, session, cancellationToken);
        return Html.Page("Password changed", $"""
            <h1>Your password is changed</h1>
            <p role="status">You are signed out everywhere, this browser included.</p>
            <p><a href="{Home}">Sign in again</a></p>
            """);
    }

    private static IResult PasswordForm(HttpContext http, IAntiforgery antiforgery, User user, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var alert = error is null ? "" : $"""<p class="error" role="alert">{Html.E(error)}</p>""";
        return Html.Page("Change your password", $"""
            <h1>Change your password</h1>
            <p>Signed in as <strong>{Html.E(user.UserName)}</strong>. After the change you are signed out everywhere, this browser included.</p>
            {alert}
            <form method="post" action="{PasswordPath}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="text" name="username" value="{Html.E(user.UserName)}" autocomplete="username" hidden>
            <label for="current_password">Current password</label>
            <input type="password" id="current_password" name="current_password" autocomplete="current-password" required>
            <label for="new_password">New password</label>
            <input type="password" id="new_password" name="new_password" autocomplete="new-password" required>
            <label for="repeat_password">New password again</label>
            <input type="password" id="repeat_password" name="repeat_password" autocomplete="new-password" required>
            <button type="submit" class="primary">Change password</button>
            </form>
            <p><a href="{Home}">Back to your account</a></p>
            """, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }
}
