using OAuthAspire.Authorize.Pages;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>Answers sent back to the client's redirect URI: a 302 (query, fragment) or an auto-submitted form (form_post).</summary>
public static class ClientResponses
{
    public static IResult Send(Issuer issuer, string redirectUri, string responseMode, string? state, params (string Name, string? Value)[] values)
    {
        var parameters = AuthorizationResponse.Parameters(issuer, state, values);
        if (responseMode != "form_post")
        {
            return new NoStoreRedirect(AuthorizationResponse.RedirectUrl(redirectUri, responseMode, parameters));
        }

        // OAuth 2.0 Form Post Response Mode: a form the browser posts at once (or on a click without JavaScript).
        var nonce = Html.NewNonce();
        var fields = string.Concat(parameters.Select(p => $"""<input type="hidden" name="{Html.E(p.Key)}" value="{Html.E(p.Value)}">"""));
        return Html.Page("Continue", $"""
            <h1>Continue to the application</h1>
            <form method="post" action="{Html.E(redirectUri)}" id="response">
            {fields}
            <noscript><button type="submit" class="primary">Continue</button></noscript>
            </form>
            <script nonce="{nonce}">document.getElementById('response').submit();</script>
            """, formTargets: [Html.SourceOf(redirectUri)], scriptNonce: nonce);
    }

    private sealed class NoStoreRedirect(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = location;
            context.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        }
    }
}
