using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using OAuthAspire.Authorize.Authorization;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Consents;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Scopes;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Http;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Authorize.Account;

/// <summary>What every account page needs: the signed-in user, the sign-in first, and the home page's content.</summary>
public sealed class AccountVisit(Sessions.Sessions sessions, UserDirectory users, PendingAuthorizations pendings, ConsentStore consents,
    RegisteredClients clients, ScopeCatalog scopes, IServiceProvider services, IAntiforgery antiforgery, ILogger<AccountVisit> logger)
{
    /// <summary>The signed-in, active user and their session, or null (no session, or the user deactivated or deleted since).</summary>
    public async Task<(Sessions.LoginSession Session, User User)?> SignedInAsync(HttpContext http, CancellationToken cancellationToken) =>
        await sessions.CurrentAsync(http, cancellationToken) is { } session && await users.GetAsync(session.UserSysId, cancellationToken) is { Active: true } user
            ? (session, user)
            : null;

    /// <summary>Parks the visit and sends the browser to the sign-in page, which comes back to <paramref name="page"/>.</summary>
    public async Task<IResult> SignInFirstAsync(string page, CancellationToken cancellationToken)
    {
        var id = await pendings.SaveAsync(PendingRequest.ForAccount(page), cancellationToken);
        return TypedResults.Redirect($"{MetadataBuilder.Paths.Login}?request={id}");
    }

    /// <summary>The connected applications; with <paramref name="disconnect"/>, first the question whether to disconnect that one.</summary>
    public async Task<IResult> HomeAsync(HttpContext http, User user, string? disconnect, string? notice, CancellationToken cancellationToken)
    {
        var connected = (await consents.ListAsync(user.SysId, null, new Paging(0, Paging.MaxLimit), cancellationToken)).Items;
        var lastUse = await LastUseAsync(user.SysId, cancellationToken);
        var descriptions = await scopes.DescriptionsAsync(cancellationToken);
        var rows = new List<string>();
        string? question = null;
        foreach (var consent in connected)
        {
            var name = (await clients.FindAsync(consent.ClientId, cancellationToken))?.Name ?? consent.ClientId;
            var used = lastUse?.GetValueOrDefault(consent.ClientId) is { } at ? Time(at) : lastUse is null ? "unknown just now" : "not recently";
            var link = $"{MetadataBuilder.Paths.Account}?disconnect={Uri.EscapeDataString(consent.ClientId)}";
            rows.Add($"""
                <tr><th scope="row">{Html.E(name)}</th><td><ul class="scopes">{Html.ScopeItems(consent.Scopes, descriptions)}</ul></td>
                <td>{Time(DatabaseTime.Utc(consent.GrantedAt))}</td><td class="last-used">{used}</td>
                <td><a href="{Html.E(link)}" aria-label="Disconnect {Html.E(name)}">Disconnect…</a></td></tr>
                """);
            if (consent.ClientId == disconnect)
            {
                question = Question(http, consent.ClientId, name);
            }
        }

        var status = notice is null ? "" : $"""<p class="notice" role="status">{Html.E(notice)}</p>""";
        var list = rows.Count == 0
            ? "<p>You have not connected any application to your account.</p>"
            : $"""
                <table>
                <caption>Applications you allowed to use your account</caption>
                <thead><tr><th scope="col">Application</th><th scope="col">What it can do</th><th scope="col">Connected</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
                <tbody>{string.Concat(rows)}</tbody>
                </table>
                """;
        return Html.Page("Your account", $"""
            <h1>Your account</h1>
            <p>Signed in as <strong>{Html.E(user.UserName)}</strong>.</p>
            {status}
            {question}
            <h2>Connected applications</h2>
            {list}
            <h2>Security</h2>
            <p><a href="{MetadataBuilder.Paths.Account}/password">Change your password</a></p>
            <p><a href="{MetadataBuilder.Paths.EndSession}">Sign out</a></p>
            """, wide: true);
    }

    private string Question(HttpContext http, string clientId, string name)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"""
            <section class="confirm" aria-labelledby="confirm-title">
            <h2 id="confirm-title">Disconnect {Html.E(name)}?</h2>
            <p>It loses access to your account at once: the tokens it holds for you stop working, and it must ask for your permission again.</p>
            <form method="post" action="{MetadataBuilder.Paths.Account}/disconnect">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="hidden" name="client_id" value="{Html.E(clientId)}">
            <div class="actions"><button type="submit" class="primary">Disconnect</button> <a href="{MetadataBuilder.Paths.Account}">Cancel</a></div>
            </form>
            </section>
            """;
    }

    /// <summary>When each client last got a token for the user; null when the token service does not answer now (the page still shows).</summary>
    private async Task<IReadOnlyDictionary<string, DateTimeOffset>?> LastUseAsync(string userSysId, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await services.GetRequiredService<TokenIssuerClient>().ListClientUseAsync(new ListClientUseRequest { UserSysId = userSysId },
                cancellationToken: cancellationToken);
            return reply.Uses.ToDictionary(u => u.ClientId, u => DateTimeOffset.FromUnixTimeSeconds(u.LastUsedAt), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is Grpc.Core.RpcException || Dependencies.Away(e))
        {
            // Optional on the page: a token service away, or one older than this RPC, leaves the column unknown.
            logger.LogWarning("The account page shows no last use: {Reason}", e.Message);
            return null;
        }
    }

    /// <summary>An account page, or a plain page saying to try again when a service it needs is away (never a 500 or JSON).</summary>
    public async Task<IResult> GuardAsync(Func<Task<IResult>> page)
    {
        try
        {
            return await page();
        }
        catch (Exception e) when (Dependencies.Away(e))
        {
            logger.LogWarning("An account page could not be served: {Reason}", e.Message);
            return Html.ErrorPage("Try again shortly", "The service is temporarily unavailable. Try again in a moment.", StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static string Time(DateTimeOffset at) =>
        $"""<time datetime="{at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}">{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</time>""";
}
