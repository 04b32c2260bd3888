using Microsoft.AspNetCore.Antiforgery;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// The sign-in page. It resumes the pending request by its server-side id; a wrong password gets
/// one generic message whatever the reason, and failures count towards the account's lockout. It
/// also offers the trusted providers users may sign in through, and sends a user name of a domain
/// that signs in through one (home-realm discovery) there instead of checking a password.
/// </summary>
public static class LoginEndpoints
{
    public const string GenericFailure = "The user name or password is incorrect, or the account is locked. Try again later.";

    /// <summary>The directory's longest password: a longer one is checked as an empty one (no work spent hashing it).</summary>
    private const int MaxPasswordLength = 256;

    public static IEndpointRouteBuilder MapLoginEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(MetadataBuilder.Paths.Login, ShowAsync);
        endpoints.MapPost(MetadataBuilder.Paths.Login, SubmitAsync).DisableAntiforgery();
        endpoints.MapGet(Html.StylesheetPath, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return TypedResults.Text(Html.Stylesheet, "text/css");
        });
        return endpoints;
    }

    private static async Task<IResult> ShowAsync(string? request, HttpContext http, PendingAuthorizations pendings, RegisteredClients clients,
        SignInProviders providers, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var pending = await pendings.FindAsync(request, cancellationToken);
        if (pending is null)
        {
            return Expired();
        }

        var client = pending.Request.IsPageVisit ? null : await clients.FindAsync(pending.Request.ClientId, cancellationToken);
        return Form(http, antiforgery, pending, client, await providers.ListAsync(cancellationToken), pending.Request.LoginHint, null);
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, PendingAuthorizations pendings, RegisteredClients clients, UserDirectory users,
        Sessions.Sessions sessions, AuthorizationFlow flow, IAuditSink audit, IAntiforgery antiforgery, SignInProviders providers, Issuer issuer,
        IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Sign-in expired", "The sign-in form expired or was not sent by this site. Return to the application and try again.");
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var pending = await pendings.FindAsync(form["request"].ToString(), cancellationToken);
        if (pending is null)
        {
            return Expired();
        }

        var client = pending.Request.IsPageVisit ? null : await clients.FindAsync(pending.Request.ClientId, cancellationToken);
        var clientId = pending.Request.IsPageVisit ? null : pending.Request.ClientId;
        var userName = form["username"].ToString();
        var password = form["password"].ToString();
        // Home-realm discovery: a user of a domain that signs in through a provider never uses a password here.
        if (await providers.ForUserNameAsync(userName, cancellationToken) is { } home)
        {
            return await FederatedLoginEndpoints.GoToProviderAsync(http, pending, home, userName, issuer, services, cancellationToken);
        }

        var remote = http.Connection.RemoteIpAddress?.ToString();
        // The directory counts the failure towards the name's lockout and audits the lock itself.
        var check = await users.VerifyAsync(userName.Length > 256 ? "" : userName, password.Length > MaxPasswordLength ? "" : password,
            clientId ?? "", remote, cancellationToken);
        if (!check.Ok)
        {
            // The attempted name is recorded only when it is a real account: people type passwords into user name fields.
            var account = check.User;
            await audit.WriteAsync(new LoginFailed(account?.SysId, account?.UserName, clientId)
            {
                Actor = new AuditActor(account?.SysId, account?.UserName, clientId),
                Outcome = AuditOutcome.Failure,
                Reason = account is null ? "unknown_user" : FailureReason(check.Failure),
                RemoteAddress = remote,
            }, cancellationToken);
            return Form(http, antiforgery, pending, client, await providers.ListAsync(cancellationToken), userName, GenericFailure, StatusCodes.Status401Unauthorized);
        }

        await sessions.StartAsync(http, check.User!.SysId, ["pwd"], cancellationToken);
        await audit.WriteAsync(new LoginSucceeded(check.User.SysId, check.User.UserName, clientId)
        {
            Actor = new AuditActor(check.User.SysId, check.User.UserName, clientId),
            RemoteAddress = remote,
        }, cancellationToken);
        return await SignedInAsync(http, pending, pendings, flow, cancellationToken);
    }

    /// <summary>After a sign-in (a password, or a trusted provider): on to the device page, the account page or the authorization request.</summary>
    public static async Task<IResult> SignedInAsync(HttpContext http, Pending pending, PendingAuthorizations pendings, AuthorizationFlow flow,
        CancellationToken cancellationToken)
    {
        await pendings.MarkAsync(pending.Id, login: true, consent: false, cancellationToken);
        if (pending.Request.Device)
        {
            return TypedResults.Redirect($"{MetadataBuilder.Paths.Device}?request={pending.Id}");
        }

        if (pending.Request.AccountPage is { } page)
        {
            await pendings.CompleteAsync(pending.Id, cancellationToken);
            return TypedResults.Redirect(page);
        }

        return await flow.ContinueAsync(http, pending with { LoginDoneAt = DateTime.UtcNow }, cancellationToken);
    }

    /// <summary>The form; below it a "Sign in with …" button per provider offered (each its own form, after the password one).</summary>
    public static IResult Form(HttpContext http, IAntiforgery antiforgery, Pending pending, RegisteredClient? client, IReadOnlyList<SignInProvider> providers,
        string? userName, string? error, int status = StatusCodes.Status200OK)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var app = client is null ? "" : $"<p>to continue to <strong>{Html.E(client.Name)}</strong></p>";
        var alert = error is null ? "" : $"""<p class="error" role="alert">{Html.E(error)}</p>""";
        return Html.Page("Sign in", $"""
            <h1>Sign in</h1>
            {app}
            {alert}
            <form method="post" action="{MetadataBuilder.Paths.Login}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="hidden" name="request" value="{Html.E(pending.Id)}">
            <label for="username">User name</label>
            <input type="text" id="username" name="username" value="{Html.E(userName)}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
            <label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password"{(providers.Any(p => p.EmailDomains.Count > 0) ? "" : " required")}>
            <button type="submit" class="primary">Sign in</button>
            </form>
            {ProviderButtons(providers, tokens, pending)}
            """, status, formTargets: [.. pending.Request.IsPageVisit ? [] : new[] { Html.SourceOf(pending.Request.RedirectUri) }, .. providers.Select(p => p.Origin)]);
    }

    private static string ProviderButtons(IReadOnlyList<SignInProvider> providers, AntiforgeryTokenSet tokens, Pending pending) =>
        providers.Count == 0 ? "" : $"""<div class="providers"><p>or</p>{string.Concat(providers.Select(p => $"""
            <form method="post" action="{MetadataBuilder.Paths.FederatedLogin}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="hidden" name="request" value="{Html.E(pending.Id)}">
            <input type="hidden" name="trust" value="{Html.E(p.Trust)}">
            <button type="submit">Sign in with {Html.E(p.DisplayName)}</button>
            </form>
            """))}</div>""";

    public static IResult Expired() =>
        Html.ErrorPage("Sign-in expired", "This sign-in link has expired or was already used. Return to the application and start again.");

    /// <summary>The directory's failure as LoginFailed has always named it.</summary>
    private static string FailureReason(string failure) => failure switch
    {
        "locked_out" => "LockedOut",
        "inactive" => "Inactive",
        _ => "InvalidCredentials",
    };
}
