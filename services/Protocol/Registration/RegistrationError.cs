namespace OAuthAspire.Protocol.Registration;

/// <summary>
/// A refused registration (RFC 7591 §3.2.2), always answered 400: <c>invalid_redirect_uri</c> for a
/// redirect URI, <c>invalid_client_metadata</c> for anything else, naming the field in the description.
/// </summary>
public sealed record RegistrationError(string Error, string Description)
{
    public const string InvalidRedirectUri = "invalid_redirect_uri";
    public const string InvalidClientMetadata = "invalid_client_metadata";
    public const string InvalidSoftwareStatement = "invalid_software_statement";
    public const string UnapprovedSoftwareStatement = "unapproved_software_statement";

    /// <summary>The field the error is about (<c>redirect_uris[1]</c>, <c>scope</c>), for the audit trail.</summary>
    public string? Field { get; init; }

    public static RegistrationError Metadata(string field, string problem) => new(InvalidClientMetadata, $"{field}: {problem}") { Field = field };

    public static RegistrationError RedirectUri(int index, string problem) =>
        new(InvalidRedirectUri, $"redirect_uris[{index}]: {problem}") { Field = $"redirect_uris[{index}]" };
}
