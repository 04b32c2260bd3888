namespace OAuthAspire.Protocol;

/// <summary>What an identifier sent by a caller may look like before anything looks it up.</summary>
public static class Identifiers
{
    // 255: a Client ID Metadata Document's URL may be that long.
    public const int MaxClientIdLength = 255;

    /// <summary>
    /// RFC 6749 Appendix A.1: client_id is VSCHAR (%x20-7E). Anything else (control characters,
    /// NUL, non-ASCII, absurd lengths) cannot name a client, so it is refused without a look-up.
    /// </summary>
    public static bool IsClientId(string? value) => value is { Length: > 0 and <= MaxClientIdLength } && IsVsChars(value);

    public static bool IsVsChars(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (c is < (char)0x20 or > (char)0x7E)
            {
                return false;
            }
        }

        return true;
    }
}
