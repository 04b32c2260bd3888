namespace OAuthAspire.Protocol.Authorization;

/// <summary>
/// Builds the redirect back to the client. Every response, success or error, carries <c>iss</c>
/// (RFC 9207) so the client can tell which server answered (mix-up defence).
/// </summary>
public static class AuthorizationResponse
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parameters(Issuer issuer, string? state, params (string Name, string? Value)[] values)
    {
        var list = values.Where(v => v.Value is not null).Select(v => new KeyValuePair<string, string>(v.Name, v.Value!)).ToList();
        if (state is not null)
        {
            list.Add(new("state", state));
        }

        list.Add(new("iss", issuer.Value));
        return list;
    }

    /// <summary>The redirect URL for the query or fragment response mode.</summary>
    public static string RedirectUrl(string redirectUri, string responseMode, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        var encoded = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        if (responseMode == "fragment")
        {
            return $"{redirectUri}#{encoded}";
        }

        // Registered URIs may carry a query of their own (RFC 6749 §3.1.2): keep it, add ours.
        return redirectUri.Contains('?') ? $"{redirectUri}&{encoded}" : $"{redirectUri}?{encoded}";
    }
}
