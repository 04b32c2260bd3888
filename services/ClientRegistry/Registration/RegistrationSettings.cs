namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>How clients may register themselves (RFC 7591); an administrator's choice.</summary>
public enum RegistrationMode
{
    /// <summary>No registration endpoint: only administrators register clients.</summary>
    Off,

    /// <summary>Only holders of an initial access token may register, each token under its policy.</summary>
    InitialAccessToken,

    /// <summary>Anyone may register under the open policy; an initial access token still selects its own.</summary>
    Open,
}

/// <summary>
/// <c>Registration:Mode</c> and, for open registration, <c>Registration:OpenPolicy</c>;
/// <c>Registration:MetadataDocumentPolicy</c> turns Client ID Metadata Documents on, held to that policy.
/// </summary>
public sealed record RegistrationSettings(RegistrationMode Mode, string? OpenPolicy, string? MetadataDocumentPolicy = null)
{
    public static RegistrationSettings From(IConfiguration configuration)
    {
        var mode = configuration["Registration:Mode"] switch
        {
            null or "" or "off" => RegistrationMode.Off,
            "initialAccessToken" => RegistrationMode.InitialAccessToken,
            "open" => RegistrationMode.Open,
            var other => throw new InvalidOperationException($"Registration:Mode must be off, initialAccessToken or open, not '{other}'."),
        };
        var openPolicy = configuration["Registration:OpenPolicy"];
        if (mode == RegistrationMode.Open && string.IsNullOrEmpty(openPolicy))
        {
            throw new InvalidOperationException("Registration:Mode open needs Registration:OpenPolicy: the policy anyone's registration is held to.");
        }

        var documentPolicy = configuration["Registration:MetadataDocumentPolicy"];
        return new RegistrationSettings(mode, string.IsNullOrEmpty(openPolicy) ? null : openPolicy, string.IsNullOrEmpty(documentPolicy) ? null : documentPolicy);
    }
}
