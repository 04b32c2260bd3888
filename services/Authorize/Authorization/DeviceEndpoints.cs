using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Scopes;
using OAuthAspire.Authorize.Sessions;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Http;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// The device verification page (RFC 8628 §3.3): the user signs in first, then types the code the
/// device shows (<c>verification_uri_complete</c> only pre-fills it), sees which application asks
/// for what, from where and since when (§5.4), and approves or denies. Every answer is a POST with
/// antiforgery; a GET never looks a code up, so a link cannot spend someone's guesses. Wrong codes
/// are limited (<see cref="DeviceGuessLimits"/>) and all get the same answer.
/// </summary>
public static class DeviceEndpoints
{
    public const string NoSuchCode = "No device is waiting for this code, or it has expired. Check the code on your device and try again.";

    public const string NotACode = "A code is eight letters, like BCDF-GHJK.";

    public const string TooManyCodes = "Too many wrong codes were entered. Wait a while, then try again.";

    public static IEndpointRouteBuilder MapDeviceEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(MetadataBuilder.Paths.Device, ShowAsync);
        endpoints.MapPost(MetadataBuilder.Paths.Device, SubmitAsync).DisableAntiforgery();
        return endpoints;
    }

    private static async Task<IResult> ShowAsync(string? user_code, string? request, HttpContext http, PendingAuthorizations pendings, Sessions.Sessions sessions,
        IAntiforgery antiforgery, IDataProtectionProvider protection, CancellationToken cancellationToken)
    {
        // Back from the sign-in page: the code the user came with is in the parked request.
        var typed = user_code;
        if (request is not null && await pendings.FindAsync(request, cancellationToken) is { Request.Device: true } pending)
        {
            typed = Unprotect(protection, pending.Request.UserCode);
            await pendings.CompleteAsync(pending.Id, cancellationToken);
        }

        var prefill = UserCodes.Normalize(typed) is { } code ? UserCodes.Display(code) : null;
        if (await sessions.CurrentAsync(http, cancellationToken) is null)
        {
            return await SignInFirstAsync(pendings, protection, prefill, cancellationToken);
        }

        return EntryForm(http, antiforgery, prefill, null);
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, PendingAuthorizations pendings, Sessions.Sessions sessions, UserDirectory users,
        RegisteredClients clients, ScopeCatalog scopes, DeviceGuessLimits limits, TokenIssuerClient tokens, IAntiforgery antiforgery, IDataProtectionProvider protection,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
        {
            return Html.ErrorPage("Device sign-in expired", "The form expired or was not sent by this site. Open the page your device shows and try again.");
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var typed = form["user_code"].ToString();
        var session = await sessions.CurrentAsync(http, cancellationToken);
        var user = session is null ? null : await users.GetAsync(session.UserSysId, cancellationToken);
        if (session is null || user is not { Active: true })
        {
            return await SignInFirstAsync(pendings, protection, UserCodes.Normalize(typed) is { } c ? UserCodes.Display(c) : null, cancellationToken);
        }

        // Not a code at all: told so, never looked up, never counted.
        if (UserCodes.Normalize(typed) is not { } userCode)
        {
            return EntryForm(http, antiforgery, typed, NotACode, StatusCodes.Status400BadRequest);
        }

        // The attempt is counted before the look-up, so parallel requests cannot pass a limit; a right code gives it back.
        var guesser = new Guesser(user.SysId, session.Sid, http.Connection.RemoteIpAddress?.ToString());
        var reservation = await limits.ReserveAsync(guesser, cancellationToken);
        if (!reservation.Allowed)
        {
            return EntryForm(http, antiforgery, null, TooManyCodes, StatusCodes.Status429TooManyRequests);
        }

        var counted = true;
        try
        {
            var found = await tokens.FindDeviceAuthorizationAsync(new FindDeviceAuthorizationRequest { UserCode = userCode }, cancellationToken: cancellationToken);
            var client = found.Found ? await clients.FindAsync(found.ClientId, cancellationToken) : null;
            var decision = form["decision"].ToString();
            // A decision must name the request the confirmation page showed.
            // Known now: a miss is recorded, a hit gives its count back, whatever the caller does next (hence no request abort).
            if (client is not { Client.Active: true } || (decision.Length > 0 && form["device_id"] != found.DeviceId))
            {
                counted = false;
                await limits.RecordMissAsync(guesser, reservation, CancellationToken.None);
                return EntryForm(http, antiforgery, null, NoSuchCode, StatusCodes.Status400BadRequest);
            }

            counted = false;
            await limits.RefundAsync(guesser, CancellationToken.None);

            if (decision.Length == 0)
            {
                return await ConfirmPageAsync(http, antiforgery, scopes, client, found, userCode, user.UserName, user.Roles, cancellationToken);
            }

            var approve = decision == "approve";
            var decided = await tokens.DecideDeviceAuthorizationAsync(new DecideDeviceAuthorizationRequest
            {
                DeviceId = found.DeviceId,
                UserCode = userCode,
                Approve = approve,
                UserSysId = user.SysId,
                UserName = user.UserName,
                SessionId = session.Sid,
                AuthTime = new DateTimeOffset(DateTime.SpecifyKind(session.AuthTime, DateTimeKind.Utc)).ToUnixTimeSeconds(),
                Amr = { session.Amr },
                RemoteAddress = guesser.Address ?? "",
            }, cancellationToken: cancellationToken);
            if (!decided.Decided)
            {
                return EntryForm(http, antiforgery, null, NoSuchCode, StatusCodes.Status400BadRequest);
            }

            return approve
                ? Html.Page("Device approved", $"""
                    <h1>Device approved</h1>
                    <p role="status"><strong>{Html.E(client.Name)}</strong> is now signed in as <strong>{Html.E(user.UserName)}</strong>.</p>
                    <p>You can close this window and return to your device.</p>
                    """)
                : Html.Page("Request denied", $"""
                    <h1>Request denied</h1>
                    <p role="status"><strong>{Html.E(client.Name)}</strong> was not given access. You can close this window.</p>
                    """);
        }
        catch (Exception e) when (counted || Dependencies.Away(e))
        {
            if (counted)
            {
                // Not the user's miss: whatever failed (or was abandoned), the code was never judged.
                await limits.RefundAsync(guesser, CancellationToken.None);
            }

            if (!Dependencies.Away(e) || http.RequestAborted.IsCancellationRequested)
            {
                throw;
            }

            loggers.CreateLogger(typeof(DeviceEndpoints)).LogWarning("Device verification could not be served: {Reason}", e.Message);
            return Html.ErrorPage("Try again shortly", "The service is temporarily unavailable. Try again in a moment.", StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>Sign-in comes before any code is looked up: every guess then has a user and a session to count against.</summary>
    /// <remarks>The code waits encrypted: the token service keeps user codes only as keyed hashes, and neither database should hold one readable.</remarks>
    private static async Task<IResult> SignInFirstAsync(PendingAuthorizations pendings, IDataProtectionProvider protection, string? userCode, CancellationToken cancellationToken)
    {
        var parked = userCode is null ? null : Protector(protection).Protect(userCode);
        var id = await pendings.SaveAsync(PendingRequest.ForDevice(parked), cancellationToken);
        return TypedResults.Redirect($"{MetadataBuilder.Paths.Login}?request={id}");
    }

    private static IDataProtector Protector(IDataProtectionProvider protection) => protection.CreateProtector("oauthaspire/device-parked-user-code/v1");

    private static string? Unprotect(IDataProtectionProvider protection, string? parked)
    {
        try
        {
            return parked is null ? null : Protector(protection).Unprotect(parked);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private static IResult EntryForm(HttpContext http, IAntiforgery antiforgery, string? userCode, string? error, int status = StatusCodes.Status200OK)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var alert = error is null ? "" : $"""<p class="error" role="alert">{Html.E(error)}</p>""";
        return Html.Page("Connect a device", $"""
            <h1>Connect a device</h1>
            <p>Enter the code shown on your device.</p>
            {alert}
            <form method="post" action="{MetadataBuilder.Paths.Device}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <label for="user_code">Code</label>
            <input type="text" id="user_code" name="user_code" value="{Html.E(userCode)}" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="32" required autofocus>
            <button type="submit" class="primary">Continue</button>
            </form>
            """, status);
    }

    private static async Task<IResult> ConfirmPageAsync(HttpContext http, IAntiforgery antiforgery, ScopeCatalog scopes, RegisteredClient client,
        FindDeviceAuthorizationReply found, string userCode, string userName, IEnumerable<string> roles, CancellationToken cancellationToken)
    {
        var descriptions = await scopes.DescriptionsAsync(cancellationToken);
        var tokens = antiforgery.GetAndStoreTokens(http);
        var logo = Html.Logo(client.LogoUrl);
        // What this user can be granted: admin.api only for an administrator (the token leaves it out for anyone else).
        var items = Html.ScopeItems([.. AdminApi.GrantableTo(found.Scopes, roles)], descriptions);
        var age = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(found.CreatedAt);
        var since = age < TimeSpan.FromMinutes(1) ? "less than a minute ago" : $"{(int)age.TotalMinutes} minute{((int)age.TotalMinutes == 1 ? "" : "s")} ago";
        var from = found.DeviceAddress.Length > 0 ? $" from <strong>{Html.E(found.DeviceAddress)}</strong>" : "";
        return Html.Page("Allow a device", $"""
            <div class="client">{logo}<h1>{Html.E(client.Name)} on a device wants to access your account</h1></div>
            {Html.UnverifiedNote(client.Unverified, client.DocumentHost)}
            <p>Only continue if you started this on your device just now: the device asked {since}{from}, with code <strong>{Html.E(UserCodes.Display(userCode))}</strong>.</p>
            <p>Signed in as <strong>{Html.E(userName)}</strong>. If you allow it, {Html.E(client.Name)} will be able to:</p>
            <ul class="scopes">{items}</ul>
            <form method="post" action="{MetadataBuilder.Paths.Device}">
            <input type="hidden" name="{Html.E(tokens.FormFieldName)}" value="{Html.E(tokens.RequestToken)}">
            <input type="hidden" name="user_code" value="{Html.E(userCode)}">
            <input type="hidden" name="device_id" value="{Html.E(found.DeviceId)}">
            <div class="actions">
            <button type="submit" name="decision" value="approve" class="primary">Allow</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
            </div>
            </form>
            """);
    }
}
