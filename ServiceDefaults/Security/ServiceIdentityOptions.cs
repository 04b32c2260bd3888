using Microsoft.Extensions.Configuration;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// This service's identity (configuration section <c>ServiceIdentity</c>, set by the AppHost): its
/// name, its EC P-256 private key (base64 PKCS#8) and, per service that may call it, that caller's
/// public keys (base64 SubjectPublicKeyInfo; two during a rotation).
/// </summary>
public sealed class ServiceIdentityOptions
{
    public const string Section = "ServiceIdentity";

    /// <summary>This service's name (<see cref="ServiceNames"/>): the audience it demands, the issuer it signs as.</summary>
    public string? Name { get; set; }

    /// <summary>Base64 PKCS#8 EC P-256 private key; none for a service that only verifies (the sample API).</summary>
    public string? PrivateKey { get; set; }

    /// <summary>Caller name → that caller's public keys (base64 SubjectPublicKeyInfo).</summary>
    public Dictionary<string, List<string>> Trusted { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads the section by hand: caller names keep their exact spelling (the binder's dictionary
    /// would not promise an ordinal comparer), and both <c>Trusted:edge:0</c> and a lone
    /// <c>Trusted:edge</c> value are accepted.
    /// </summary>
    public static ServiceIdentityOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var options = new ServiceIdentityOptions
        {
            Name = NullIfBlank(section["Name"]),
            PrivateKey = NullIfBlank(section["PrivateKey"]),
        };
        foreach (var caller in section.GetSection("Trusted").GetChildren())
        {
            var keys = caller.GetChildren()
                .Select(k => NullIfBlank(k.Value))
                .Append(NullIfBlank(caller.Value))
                .OfType<string>()
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (keys.Count > 0)
            {
                options.Trusted[caller.Key] = keys;
            }
        }

        return options;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
