using Microsoft.AspNetCore.Http;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// The caller identity the edge verified (from an access token) and forwards to the services
/// behind it. The edge first strips every <c>X-OAuthAspire-*</c> header a caller sent, and our
/// services believe these only on requests that carry the edge's proof (<see cref="EdgeTrust"/>).
/// The APIs behind the edge get no such proof: they read a federated caller's identity from the
/// edge's signed assertion (<see cref="Http.EdgeIdentityHandler"/>), never from these headers.
/// </summary>
/// <param name="Trust">The trusted external provider whose token this was (null for our own tokens).</param>
/// <param name="Binding">The proof of possession the edge checked for the token (<see cref="DpopBinding"/>); null for a bearer token.</param>
/// <param name="Method">With a binding: the method of the one call the edge checked, which its assertion is good for.</param>
/// <param name="Path">With a binding: that call's path, as the edge forwarded it.</param>
public sealed record EdgeIdentity(string Subject, string? UserName, string ClientId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Roles,
    string? Trust = null, string? Binding = null, string? Method = null, string? Path = null)
{
    /// <summary>The token was DPoP-bound and its proof (key, method, URL, token hash, freshness) checked (RFC 9449).</summary>
    public const string DpopBinding = "dpop";

    /// <summary>The token is bound to a client certificate, and the call came with that certificate (RFC 8705 §3): on the edge's mutual-TLS listener or from a proxy trusted to hand it over.</summary>
    public const string MtlsBinding = "mtls";

    public const string HeaderPrefix = "X-OAuthAspire-";
    public const string SubjectHeader = "X-OAuthAspire-Subject";
    public const string UserNameHeader = "X-OAuthAspire-User";
    public const string ClientHeader = "X-OAuthAspire-Client";
    public const string ScopesHeader = "X-OAuthAspire-Scopes";
    public const string RolesHeader = "X-OAuthAspire-Roles";
    public const string TrustHeader = "X-OAuthAspire-Trust";
    public const string BindingHeader = "X-OAuthAspire-Token-Binding";

    public AuditActor Actor => new(Subject == ClientId ? null : Subject, UserName, ClientId);

    /// <summary>The verified identity of this request, or null when it did not come through the edge with one.</summary>
    public static EdgeIdentity? Of(HttpContext context)
    {
        if (!context.IsFromEdge())
        {
            return null;
        }

        var headers = context.Request.Headers;
        var subject = headers[SubjectHeader].ToString();
        var client = headers[ClientHeader].ToString();
        if (subject.Length == 0 || client.Length == 0)
        {
            return null;
        }

        var user = headers[UserNameHeader].ToString();
        var trust = headers[TrustHeader].ToString();
        var binding = headers[BindingHeader].ToString();
        return new EdgeIdentity(subject, user.Length == 0 ? null : Uri.UnescapeDataString(user), client,
            Split(headers[ScopesHeader].ToString()), Split(headers[RolesHeader].ToString()), trust.Length == 0 ? null : Uri.UnescapeDataString(trust),
            binding.Length == 0 ? null : binding);
    }

    /// <summary>Writes this identity onto a request about to be forwarded.</summary>
    public void WriteTo(IHeaderDictionary headers)
    {
        headers[SubjectHeader] = Subject;
        headers[ClientHeader] = ClientId;
        headers[ScopesHeader] = string.Join(' ', Scopes);
        headers[RolesHeader] = string.Join(' ', Roles);
        if (UserName is not null)
        {
            // User names may hold any character; a header value may not.
            headers[UserNameHeader] = Uri.EscapeDataString(UserName);
        }

        if (Trust is not null)
        {
            headers[TrustHeader] = Uri.EscapeDataString(Trust);
        }

        if (Binding is not null)
        {
            headers[BindingHeader] = Binding;
        }
    }

    public static void StripFrom(IHeaderDictionary headers)
    {
        foreach (var name in headers.Keys.Where(k => k.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            headers.Remove(name);
        }
    }

    private static string[] Split(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
