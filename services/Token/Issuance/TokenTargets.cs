using OAuthAspire.Protocol.Resources;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// The audience and scopes of a token request's access token (RFC 8707, <see cref="ResourceIndicators.Target"/>):
/// the API its <c>resource</c> names, within the grant and the client's allowed APIs, or the default audience.
/// </summary>
public sealed class TokenTargets(ApiResourceCatalog apis, TokenSettings settings, ILogger<TokenTargets> logger)
{
    private volatile Audiences _audiences = new(ApiResources.Empty, [settings.Audience]);

    /// <summary>
    /// Every audience our access tokens may have: the default one and each API's (built once per set of
    /// APIs). While scope-policy cannot answer, the last set known (so introspection and userinfo do
    /// not fail with it).
    /// </summary>
    public async ValueTask<IReadOnlyCollection<string>> AudiencesAsync(CancellationToken cancellationToken)
    {
        ApiResources set;
        try
        {
            set = await apis.GetAsync(cancellationToken);
        }
        catch (Exception e) when (Dependencies.Away(e) && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The APIs could not be loaded ({Reason}); checking audiences against the last set known", e.Message);
            return _audiences.Values;
        }

        var known = _audiences;
        if (!ReferenceEquals(known.Set, set))
        {
            known = new Audiences(set, [settings.Audience, .. set.Identifiers]);
            _audiences = known;
        }

        return known.Values;
    }

    /// <param name="requested">The resources named (at most one).</param>
    /// <param name="grant">The resources the grant was authorized for; null where no earlier grant limits them.</param>
    /// <param name="allowed">The client's allowed resources.</param>
    public async ValueTask<TokenTarget> ForAsync(IReadOnlyList<string> requested, IReadOnlyList<string>? grant, IReadOnlyList<string> scopes,
        IReadOnlyList<string> allowed, CancellationToken cancellationToken)
    {
        // No API named, now, by the grant or by the client's limits: the default audience, without asking for the APIs.
        if (requested.Count == 0 && grant is not { Count: > 0 } && allowed.Count == 0)
        {
            return new TokenTarget(settings.Audience, scopes, null);
        }

        return ResourceIndicators.Target(requested, grant, scopes, await apis.GetAsync(cancellationToken), allowed, settings.Audience);
    }

    /// <summary>The resources a refresh family started by this token is authorized for: its API, or none for the default audience.</summary>
    public string[] GrantOf(TokenTarget target) => target.Audience == settings.Audience ? [] : [target.Audience];

    private sealed record Audiences(ApiResources Set, string[] Values);
}
