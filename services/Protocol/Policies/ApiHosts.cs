namespace OAuthAspire.Protocol.Policies;

/// <summary>What a request to one of the edge's host names may reach.</summary>
public enum HostDecision
{
    Serve,

    /// <summary>Not on this host name: 404, as if the route did not exist.</summary>
    NotHere,
}

/// <summary>
/// The strong isolation of APIs from the issuer: a host name of their own (<c>Edge:ApiHost</c>),
/// so the issuer's host-only cookies and origin are never shared with them. On the API host only
/// the protected APIs (<c>/api/**</c> but the admin APIs) are served; on the issuer's host the APIs
/// stay reachable unless <c>Edge:ApiOnIssuerHost</c> is false (the setting to reach once every
/// caller uses the API host). Without an API host everything is served on one origin.
/// </summary>
public static class ApiHosts
{
    public static HostDecision Decide(string requestHost, string path, string? apiHost, bool apiOnIssuerHost)
    {
        if (string.IsNullOrEmpty(apiHost))
        {
            return HostDecision.Serve;
        }

        var isApi = ApiPath.IsUnder(path, "/api") && !ApiPath.IsUnder(path, ApiPolicies.AdminPrefix);
        var onApiHost = string.Equals(requestHost, apiHost, StringComparison.OrdinalIgnoreCase);
        return onApiHost == isApi || (isApi && apiOnIssuerHost) ? HostDecision.Serve : HostDecision.NotHere;
    }
}
