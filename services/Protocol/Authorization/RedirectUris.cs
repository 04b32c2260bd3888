namespace OAuthAspire.Protocol.Authorization;

/// <summary>
/// Redirect URI matching: exact string comparison (RFC 9700 §4.1.3), except that a loopback
/// redirect URI may differ in port only (RFC 8252 §7.3, native apps bind an ephemeral port).
/// </summary>
public static class RedirectUris
{
    public static bool Matches(string requested, string registered)
    {
        if (string.Equals(requested, registered, StringComparison.Ordinal))
        {
            return true;
        }

        if (!Uri.TryCreate(requested, UriKind.Absolute, out var a) || !Uri.TryCreate(registered, UriKind.Absolute, out var b))
        {
            return false;
        }

        // Loopback IP literals only (RFC 8252 §8.3 advises against "localhost"), same scheme, host, path and query.
        return a.Scheme == "http" && b.Scheme == "http" && IsLoopbackLiteral(a) && IsLoopbackLiteral(b)
            && a.Host == b.Host
            && string.Equals(WithoutPort(requested, a), WithoutPort(registered, b), StringComparison.Ordinal);
    }

    public static string? FindMatch(string requested, IEnumerable<string> registered) =>
        registered.FirstOrDefault(r => Matches(requested, r));

    private static bool IsLoopbackLiteral(Uri uri) => uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && uri.IsLoopback;

    // The URI text with its authority's port removed, everything else as written.
    private static string WithoutPort(string text, Uri uri)
    {
        var authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var start = text.IndexOf("//", StringComparison.Ordinal) + 2;
        var hostEnd = text.IndexOf(authority, start, StringComparison.OrdinalIgnoreCase);
        return hostEnd < 0 ? text : text[..start] + uri.Host + text[(hostEnd + authority.Length)..];
    }
}
