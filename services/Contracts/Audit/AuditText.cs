using System.Text.RegularExpressions;

namespace OAuthAspire.Contracts.Audit;

/// <summary>
/// Free text on the audit stream (an event's <c>Reason</c>, a rate-limit key) is written by code
/// that may quote what a caller sent. Anything shaped like a credential is cut out before it is
/// stored: JWTs, and long opaque runs such as our 256-bit secrets, codes and refresh tokens.
/// Identifiers stay: client ids, jtis and kids are shorter than the cut.
/// </summary>
public static partial class AuditText
{
    public const string Redacted = "[redacted]";

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?|[A-Za-z0-9_\-+=]{40,}", RegexOptions.CultureInvariant)]
    private static partial Regex CredentialShaped();

    public static string? Scrub(string? text) =>
        text is null || text.Length < 40 && !text.Contains("eyJ", StringComparison.Ordinal) ? text : CredentialShaped().Replace(text, Redacted);
}
