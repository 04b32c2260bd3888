using System.Text.Json;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Scopes;

namespace OAuthAspire.Protocol.Registration;

/// <summary>
/// Client metadata of a registration request (RFC 7591 §2), read from its JSON. Members this server
/// does not know are ignored, not refused (§2); those it knows must have their types; omitted ones
/// take the RFC's defaults (<c>authorization_code</c>, <c>code</c>, <c>client_secret_basic</c>).
/// </summary>
public sealed record ClientMetadata
{
    public const int MaxNameLength = 200;
    public const int MaxContacts = 10;
    public const int MaxUris = 20;

    /// <summary>The token endpoint authentication methods a registration may ask for.</summary>
    public static readonly IReadOnlySet<string> AuthMethods = new HashSet<string>(StringComparer.Ordinal)
    {
        ClientAuthentication.ClientSecretBasic, ClientAuthentication.ClientSecretPost, ClientAuthentication.PrivateKeyJwt, ClientAuthentication.None,
    };

    public IReadOnlyList<string> RedirectUris { get; init; } = [];
    public IReadOnlyList<string> GrantTypes { get; init; } = [Protocol.GrantTypes.AuthorizationCode];
    public IReadOnlyList<string> ResponseTypes { get; init; } = ["code"];
    public string TokenEndpointAuthMethod { get; init; } = ClientAuthentication.ClientSecretBasic;
    public string? ClientName { get; init; }
    public IReadOnlyList<string>? Scope { get; init; }
    public IReadOnlyList<string> Contacts { get; init; } = [];
    public string? LogoUri { get; init; }
    public string? ClientUri { get; init; }
    public string? PolicyUri { get; init; }
    public string? TosUri { get; init; }
    public string? JwksUri { get; init; }

    /// <summary>The client's JSON Web Key Set by value, as sent.</summary>
    public string? Jwks { get; init; }

    public string? SoftwareId { get; init; }
    public string? SoftwareVersion { get; init; }

    /// <summary>The signed software statement (§2.3), verified separately; its claims then override these.</summary>
    public string? SoftwareStatement { get; init; }

    /// <summary>A public client: it authenticates with nothing at the token endpoint.</summary>
    public bool Public => TokenEndpointAuthMethod == ClientAuthentication.None;

    /// <summary>The first member an object names twice (JSON parsers disagree on which one counts, so such metadata is refused), or null.</summary>
    public static string? RepeatedMember(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        return root.EnumerateObject().Select(m => m.Name).FirstOrDefault(name => !seen.Add(name));
    }

    /// <summary>Reads and checks the metadata; the error names the first field at fault.</summary>
    /// <param name="allowHttpLoopback">Development: http URIs on loopback hosts are accepted for the client's own URIs.</param>
    public static (ClientMetadata? Metadata, RegistrationError? Error) Read(JsonElement root, bool allowHttpLoopback = false)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, RegistrationError.Metadata("body", "must be a JSON object"));
        }

        if (RepeatedMember(root) is { } repeated)
        {
            return (null, RegistrationError.Metadata(repeated.Length > 64 ? repeated[..64] : repeated, "must be given once"));
        }

        var metadata = new ClientMetadata();
        RegistrationError? error = null;
        foreach (var member in root.EnumerateObject())
        {
            var value = member.Value;
            error = member.Name switch
            {
                "redirect_uris" => Strings(member.Name, value, MaxUris, out var uris) ?? Assign(() => metadata = metadata with { RedirectUris = uris }),
                "grant_types" => Strings(member.Name, value, 10, out var grants) ?? Assign(() => metadata = metadata with { GrantTypes = grants }),
                "response_types" => Strings(member.Name, value, 4, out var responses) ?? Assign(() => metadata = metadata with { ResponseTypes = responses }),
                "token_endpoint_auth_method" => Text(member.Name, value, 64, out var method) ?? Assign(() => metadata = metadata with { TokenEndpointAuthMethod = method! }),
                "client_name" => Text(member.Name, value, MaxNameLength, out var name) ?? Assign(() => metadata = metadata with { ClientName = name }),
                "scope" => Text(member.Name, value, 2048, out var scope) ?? (ScopeSet.TryParse(scope, out var scopes)
                    ? Assign(() => metadata = metadata with { Scope = scopes })
                    : RegistrationError.Metadata(member.Name, "must be scope names separated by single spaces")),
                "contacts" => Strings(member.Name, value, MaxContacts, out var contacts) ?? Assign(() => metadata = metadata with { Contacts = contacts }),
                "logo_uri" => Uri(member.Name, value, allowHttpLoopback, out var logo) ?? Assign(() => metadata = metadata with { LogoUri = logo }),
                "client_uri" => Uri(member.Name, value, allowHttpLoopback, out var home) ?? Assign(() => metadata = metadata with { ClientUri = home }),
                "policy_uri" => Uri(member.Name, value, allowHttpLoopback, out var policy) ?? Assign(() => metadata = metadata with { PolicyUri = policy }),
                "tos_uri" => Uri(member.Name, value, allowHttpLoopback, out var tos) ?? Assign(() => metadata = metadata with { TosUri = tos }),
                "jwks_uri" => Uri(member.Name, value, allowHttpLoopback, out var jwksUri) ?? Assign(() => metadata = metadata with { JwksUri = jwksUri }),
                "jwks" => value.ValueKind == JsonValueKind.Object && value.TryGetProperty("keys", out var keys) && keys.ValueKind == JsonValueKind.Array
                    ? Assign(() => metadata = metadata with { Jwks = value.GetRawText() })
                    : RegistrationError.Metadata(member.Name, "must be a JWK Set: an object with a \"keys\" array"),
                "software_id" => Text(member.Name, value, 256, out var softwareId) ?? Assign(() => metadata = metadata with { SoftwareId = softwareId }),
                "software_version" => Text(member.Name, value, 64, out var version) ?? Assign(() => metadata = metadata with { SoftwareVersion = version }),
                "software_statement" => Text(member.Name, value, Registration.SoftwareStatement.MaxLength, out var statement) ?? Assign(() => metadata = metadata with { SoftwareStatement = statement }),
                // §2: anything else (other specifications' members, localized names) is ignored.
                _ => null,
            };
            if (error is not null)
            {
                return (null, error);
            }
        }

        error = metadata.Check();
        return error is null ? (metadata, null) : (null, error);
    }

    /// <summary>The rules between members (§2, §2.1), and each redirect URI's own.</summary>
    public RegistrationError? Check()
    {
        if (Jwks is not null && JwksUri is not null)
        {
            return RegistrationError.Metadata("jwks", "jwks and jwks_uri must not both be present (RFC 7591 §2)");
        }

        if (!AuthMethods.Contains(TokenEndpointAuthMethod))
        {
            return RegistrationError.Metadata("token_endpoint_auth_method", $"must be one of {string.Join(", ", AuthMethods)}");
        }

        if (TokenEndpointAuthMethod == ClientAuthentication.PrivateKeyJwt && Jwks is null && JwksUri is null)
        {
            return RegistrationError.Metadata("token_endpoint_auth_method", "private_key_jwt needs the client's keys in jwks or jwks_uri");
        }

        if (GrantTypes.FirstOrDefault(g => !Protocol.GrantTypes.All.Contains(g)) is { } unknownGrant)
        {
            return RegistrationError.Metadata("grant_types", $"unknown grant type '{unknownGrant}'");
        }

        if (ResponseTypes.FirstOrDefault(r => r is not ("code" or "token")) is { } unknownResponse)
        {
            return RegistrationError.Metadata("response_types", $"unsupported response type '{unknownResponse}'");
        }

        // §2.1: code goes with authorization_code, token with implicit, both ways.
        var code = GrantTypes.Contains(Protocol.GrantTypes.AuthorizationCode);
        var implicitGrant = GrantTypes.Contains(Protocol.GrantTypes.Implicit);
        if (code != ResponseTypes.Contains("code") || implicitGrant != ResponseTypes.Contains("token"))
        {
            return RegistrationError.Metadata("response_types", "must match grant_types: code with authorization_code, token with implicit (RFC 7591 §2.1)");
        }

        if (ClientRules.CheckGrantTypes([.. GrantTypes], Public) is { } grantProblem)
        {
            return RegistrationError.Metadata("grant_types", grantProblem);
        }

        if ((code || implicitGrant) && RedirectUris.Count == 0)
        {
            return RegistrationError.Metadata("redirect_uris", "at least one is needed for the authorization code grant");
        }

        for (var i = 0; i < RedirectUris.Count; i++)
        {
            if (ClientRules.CheckRedirectUri(RedirectUris[i], Public) is { } problem)
            {
                return RegistrationError.RedirectUri(i, problem);
            }
        }

        return null;
    }

    private static RegistrationError? Assign(Action assign)
    {
        assign();
        return null;
    }

    private static RegistrationError? Text(string field, JsonElement value, int maxLength, out string? text)
    {
        text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return text is null ? RegistrationError.Metadata(field, "must be a string")
            : text.Length > maxLength || text.Any(char.IsControl) ? RegistrationError.Metadata(field, $"must be at most {maxLength} characters, no control characters")
            : null;
    }

    private static RegistrationError? Strings(string field, JsonElement value, int maxCount, out IReadOnlyList<string> strings)
    {
        strings = [];
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > maxCount)
        {
            return RegistrationError.Metadata(field, $"must be an array of at most {maxCount} strings");
        }

        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (Text(field, item, 2048, out var text) is { } error)
            {
                return error;
            }

            list.Add(text!);
        }

        strings = list.Distinct(StringComparer.Ordinal).ToArray();
        return null;
    }

    /// <summary>The client's own URIs (logo, home, policy, terms, keys): https, absolute, no user information or fragment.</summary>
    private static RegistrationError? Uri(string field, JsonElement value, bool allowHttpLoopback, out string? uri)
    {
        if (Text(field, value, 2048, out uri) is { } error)
        {
            return error;
        }

        return System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.UserInfo.Length == 0 && parsed.Fragment.Length == 0
            && (parsed.Scheme == System.Uri.UriSchemeHttps || (allowHttpLoopback && parsed.Scheme == System.Uri.UriSchemeHttp && ClientRules.IsLoopback(parsed)))
            ? null
            : RegistrationError.Metadata(field, "must be an absolute https URI without user information or fragment");
    }
}
