using Microsoft.AspNetCore.Antiforgery;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Consents;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Scopes;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>The consent page: the application's name and logo, what each scope allows, approve or deny.</summary>
public static class ConsentEndpoints
{
    public static IEndpointRouteBuilder MapConsentEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(MetadataBuilder.Paths.Consent, ShowAsync);
        endpoints.MapPost(MetadataBuilder.Paths.Consent, SubmitAsync).DisableAntiforgery();
        return endpoints;
    }

    private static async Task<IResult> ShowAsync(string? request, HttpContext http, PendingAuthorizations pendings, RegisteredClients clients,
        ScopeCatalog scopes, Sessions.Sessions sessions, UserDirectory users, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var pending = await pendings.FindAsync(request, cancellationToken);
        if (pending is null or { Request.IsPageVisit: true })
        {
            return Expired();
        }

        var session = await sessions.CurrentAsync(http, cancellationToken);
        if (session is null)
        {
            return TypedResults.Redirect($"{MetadataBuilder.Paths.Login}?request={pending.Id}");
        }

        var client = await clients.FindAsync(pending.Request.ClientId, cancellationToken);
        var user = await users.GetAsync(session.UserSysId, cancellationToken);
        if (client is null || user is null)
        {
            return Expired();
        }

        var descriptions = await scopes.DescriptionsAsync(cancellationToken);
        var tokens = antiforgery.GetAndStoreTokens(http);
        var logo = Html.Logo(client.LogoUrl);
        // What the grant will carry: admin.api only for an administrator (AuthorizationFlow drops it for anyone else).
        var items = Html.ScopeItems([.. AdminApi.GrantableTo(pending.Request.Scopes, user.Roles)], descriptions);
        return Html.Page("Allow access", $"""
            <div class="client">{logo}<h1>{Html.E(client.Name)} wants to access your account</h1></div>
            {Html.UnverifiedNote(client.Unverified, client.DocumentHost)}
            <p>Signed in as <strong>{Html.E(user.UserName)}</strong>. If you allow it, {Html.E(client.Name)} will be able to:</p>
            <ul class="scopes">{items}</ul>
            <form method="post" action="{MetadataBuilder.Paths.Consent}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="hidden" name="request" value="{Html.E(pending.Id)}">
            <div class="actions">
            <button type="submit" name="decision" value="approve" class="primary">Allow</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
            </div>
            </form>
            """, formTargets: [Html.SourceOf(pending.Request.RedirectUri)]);
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, PendingAuthorizations pendings, RegisteredClients clients, Sessions.Sessions sessions,
        UserDirectory users, ConsentStore consents, AuthorizationFlow flow, IAuditSink audit, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Consent expired", "The consent form expired or was not sent by this site. Return to the application and try again.");
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var pending = await pendings.FindAsync(form["request"].ToString(), cancellationToken);
        var session = await sessions.CurrentAsync(http, cancellationToken);
        if (pending is null || pending.Request.IsPageVisit || session is null)
        {
            return Expired();
        }

        var client = await clients.FindAsync(pending.Request.ClientId, cancellationToken);
        var user = await users.GetAsync(session.UserSysId, cancellationToken);
        if (client is null || user is null)
        {
            return Expired();
        }

        if (form["decision"] != "approve")
        {
            return await flow.RefuseAsync(http, pending, OAuthErrorCodes.AccessDenied, "The user denied the request.");
        }

        var remember = !AuthorizationFlow.AsksEveryTime(client, pending.Request.RedirectUri);
        string[] granted = [.. AdminApi.GrantableTo(pending.Request.Scopes, user.Roles)];
        await consents.DataSource.InTransactionAsync(async tx =>
        {
            if (remember)
            {
                await ConsentStore.RememberAsync(tx, user.SysId, client.ClientId, granted, cancellationToken);
            }

            await audit.WriteAsync(tx, new ConsentGranted(user.SysId, user.UserName, client.ClientId, granted, remember)
            {
                Actor = new AuditActor(user.SysId, user.UserName, client.ClientId),
                RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            }, cancellationToken);
        }, cancellationToken);
        await pendings.MarkAsync(pending.Id, login: false, consent: true, cancellationToken);
        return await flow.ContinueAsync(http, pending with { ConsentDone = true }, cancellationToken);
    }

    private static IResult Expired() =>
        Html.ErrorPage("Consent expired", "This request has expired or was already answered. Return to the application and start again.");
}
