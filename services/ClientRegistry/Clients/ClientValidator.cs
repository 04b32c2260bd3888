using Grpc.Core;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Assertions;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Admin;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// Checks an application registration field by field (ProblemDetails name each field), asking
/// the directory whether the application user exists. Whether the scopes and trusts exist is answered
/// by their owners when the save claims them (<see cref="UseClaims"/>), or here when the
/// registration is refused anyway.
/// </summary>
public sealed class ClientValidator(DirectoryClient directory, UseClaims claims, SharedKeyProtector sharedKeys)
{
    /// <returns>The record to store, or the validation errors.</returns>
    public async Task<(ClientRecord? Client, Validation Validation)> ValidateAsync(ClientDto body, string clientId, ClientRecord? existing,
        CancellationToken cancellationToken)
    {
        var v = new Validation();
        v.Require(!string.IsNullOrWhiteSpace(body.Name) && body.Name.Length <= 200 && !body.Name.Any(char.IsControl), "name", "is required: 1-200 characters");
        var isPublic = body.Public ?? existing?.Public ?? false;
        var grantTypes = Distinct(body.GrantTypes);
        if (ClientRules.CheckGrantTypes(grantTypes, isPublic) is { } grantError)
        {
            v.Add("grantTypes", grantError);
        }

        var redirectUris = Distinct(body.RedirectUris);
        CheckUris(v, "redirectUris", redirectUris, isPublic);
        var postLogoutUris = Distinct(body.PostLogoutRedirectUris);
        CheckUris(v, "postLogoutRedirectUris", postLogoutUris, isPublic);
        v.Require(redirectUris.Length > 0 || !grantTypes.Any(g => g is GrantTypes.AuthorizationCode or GrantTypes.Implicit),
            "redirectUris", "at least one is needed for authorization_code or implicit");
        var allowedOrigins = CheckOrigins(v, body.AllowedOrigins, redirectUris);

        var accessLifespan = body.AccessTokenLifespan ?? 1800;
        v.Require(accessLifespan is >= 1 and <= ClientRules.MaxAccessTokenLifespan, "accessTokenLifespan",
            $"must be 1-{ClientRules.MaxAccessTokenLifespan} seconds");
        var refreshLifespan = body.RefreshTokenLifespan ?? 8_640_000;
        v.Require(refreshLifespan is >= 1 and <= ClientRules.MaxRefreshTokenLifespan, "refreshTokenLifespan",
            $"must be 1-{ClientRules.MaxRefreshTokenLifespan} seconds");
        if (body.LogoUrl is not null)
        {
            v.Require(Uri.TryCreate(body.LogoUrl, UriKind.Absolute, out var logo) && (logo.Scheme == "https" || (logo.Scheme == "http" && ClientRules.IsLoopback(logo))),
                "logoUrl", "must be an https URL");
        }

        var scopes = Distinct(body.Scopes);
        var defaultScopes = Distinct(body.DefaultScopes);
        var unknownDefaults = defaultScopes.Except(scopes).ToArray();
        v.Require(unknownDefaults.Length == 0, "defaultScopes", $"must be among scopes: {string.Join(", ", unknownDefaults)}");

        string? userSysId = null, userName = null;
        if (!string.IsNullOrEmpty(body.ApplicationUser))
        {
            var reply = await directory.FindUserAsync(new FindUserRequest { Field = "user_name", Value = body.ApplicationUser }, cancellationToken: cancellationToken);
            if (reply.Found)
            {
                (userSysId, userName) = (reply.User.SysId, reply.User.UserName);
            }
            else
            {
                v.Add("applicationUser", $"no user '{body.ApplicationUser}'");
            }
        }

        var trusts = body.Trusts is null ? existing?.Trusts ?? [] : Distinct(body.Trusts);
        // The implicit grant hands tokens out at the authorization endpoint, where no proof can bind them.
        v.Require(body.DpopBoundAccessTokens != true || !grantTypes.Contains(GrantTypes.Implicit), "dpopBoundAccessTokens",
            "cannot be combined with the implicit grant, whose tokens cannot be DPoP-bound");
        // Implicit answers arrive at the authorization endpoint, which a pushed request reaches only for a code.
        v.Require(body.RequirePushedAuthorizationRequests != true || !grantTypes.Contains(GrantTypes.Implicit), "requirePushedAuthorizationRequests",
            "cannot be combined with the implicit grant: only code requests are pushed");
        v.Require(trusts.Length > 0 || !grantTypes.Contains(GrantTypes.TokenExchange), "trusts",
            "at least one is needed for token exchange: the providers whose tokens this client may exchange");

        // Absent keeps the profile registered (a save that forgets it must not lift the rules); "" removes it.
        var profile = body.Profile is null ? existing?.Profile : body.Profile.Length == 0 ? null : body.Profile;
        body = body with { Profile = profile };
        var fapi2 = profile == ClientProfiles.Fapi2;
        v.Require(ClientProfiles.IsKnown(profile), "profile", $"must be {ClientProfiles.Fapi2}, or empty for none");
        if (fapi2 && body.JwtVerifier is { } fapiVerifier)
        {
            // FAPI 2.0 §5.4 and §5.3.2.1: PS256/ES256 only, and a clock skew under a minute, unless set otherwise (then checked below).
            body = body with
            {
                JwtVerifier = fapiVerifier with
                {
                    Algorithms = fapiVerifier.Algorithms ?? SigningAlgorithms.Fapi, ClockSkew = fapiVerifier.ClockSkew ?? ClientProfiles.Fapi2ClockSkew,
                },
            };
        }

        var (verifierJson, sharedKeyEnc) = CheckVerifier(v, body.JwtVerifier, existing, clientId, grantTypes);
        v.Require(body.RequireSignedRequestObject != true || body.JwtVerifier is { } signer && (signer.JwksUri is not null || signer.Keys is { Count: > 0 })
            && signer.EffectiveAlgorithms.Any(a => !a.StartsWith("HS", StringComparison.Ordinal)),
            "requireSignedRequestObject", "needs a jwtVerifier with keys or a jwksUri and an asymmetric algorithm: request objects are signed with the client's public keys");
        var (tlsRule, tlsCertificates) = CheckMutualTls(v, body, isPublic, grantTypes);
        if (fapi2)
        {
            CheckFapi2(v, body, isPublic, grantTypes, redirectUris, tlsRule is not null || tlsCertificates.Length > 0);
        }
        // Absent keeps what is registered (as for trusts): a save that forgets the field must not open every API.
        var allowedResources = body.AllowedResources is null ? existing?.AllowedResources ?? [] : Distinct(body.AllowedResources);
        v.Require(allowedResources.Length <= 100, "allowedResources", "at most 100");
        if (allowedResources.Select(ResourceIndicators.Problem).FirstOrDefault(p => p is not null) is { } resourceProblem)
        {
            v.Add("allowedResources", $"each {resourceProblem}");
        }

        var algorithms = $"must be one of {string.Join(", ", SigningAlgorithms.Supported)}";
        v.Require(body.AccessTokenSigningAlg is null || SigningAlgorithms.IsSupported(body.AccessTokenSigningAlg), "accessTokenSigningAlg", algorithms);
        v.Require(body.IdTokenSignedResponseAlg is null || SigningAlgorithms.IsSupported(body.IdTokenSignedResponseAlg), "idTokenSignedResponseAlg", algorithms);

        if (!v.IsValid)
        {
            // Refused anyway: the unknown scopes and trusts are named too, and nothing is claimed.
            await claims.CheckAsync(v, clientId, scopes, trusts, cancellationToken);
            return (null, v);
        }

        var record = new ClientRecord
        {
            ClientId = clientId,
            Name = body.Name!,
            // Held to FAPI 2.0, a client's secret goes: it would authenticate nothing, and nothing should lie around to leak.
            SecretHash = fapi2 ? null : existing?.SecretHash,
            Public = isPublic,
            // RFC 9700 §2.1.1: PKCE for every public client, whatever the flag says.
            PkceRequired = isPublic || fapi2 || (body.PkceRequired ?? false),
            RedirectUris = redirectUris,
            PostLogoutRedirectUris = postLogoutUris,
            GrantTypes = grantTypes,
            Scopes = scopes,
            DefaultScopes = defaultScopes,
            AccessTokenLifespan = accessLifespan,
            RefreshTokenLifespan = refreshLifespan,
            ApplicationUserSysId = userSysId,
            ApplicationUserName = userName,
            CanIntrospect = body.CanIntrospect ?? false,
            LogoUrl = body.LogoUrl,
            Active = body.Active ?? true,
            Trusts = trusts,
            AllowedOrigins = allowedOrigins,
            DpopBoundAccessTokens = body.DpopBoundAccessTokens ?? false,
            DpopNonceRequired = body.DpopNonceRequired ?? false,
            TlsClientAuthSubjectDn = tlsRule?.SubjectDn,
            TlsClientAuthSanDns = tlsRule?.SanDns,
            TlsClientAuthSanUri = tlsRule?.SanUri,
            TlsClientAuthSanIp = tlsRule?.SanIp,
            TlsClientAuthSanEmail = tlsRule?.SanEmail,
            TlsClientCertificates = tlsCertificates,
            TlsClientCertificateBoundAccessTokens = body.TlsClientCertificateBoundAccessTokens ?? false,
            RequirePushedAuthorizationRequests = fapi2 || (body.RequirePushedAuthorizationRequests ?? false),
            RequireSignedRequestObject = body.RequireSignedRequestObject ?? false,
            AllowedResources = allowedResources,
            // FAPI 2.0 §5.4: what the server signs for a fapi2 client is PS256 unless it chose ES256.
            AccessTokenSigningAlg = body.AccessTokenSigningAlg ?? (fapi2 ? SigningAlgorithms.PS256 : null),
            IdTokenSignedResponseAlg = body.IdTokenSignedResponseAlg ?? (fapi2 ? SigningAlgorithms.PS256 : null),
            Profile = body.Profile,
            JwtVerifier = verifierJson,
            SharedKeyEnc = sharedKeyEnc,
        };
        return (record, v);
    }

    /// <summary>
    /// The verifier as stored (without the shared key) and the shared key sealed. An omitted
    /// <c>sharedKey</c> keeps the one already stored; an empty one removes it.
    /// </summary>
    private (string? Json, byte[]? SharedKeyEnc) CheckVerifier(Validation v, VerifierSettings? verifier, ClientRecord? existing, string clientId,
        IReadOnlyCollection<string> grantTypes)
    {
        if (verifier is null)
        {
            v.Require(!grantTypes.Contains(GrantTypes.JwtBearer), "jwtVerifier", "is required for the JWT bearer grant");
            return (null, null);
        }

        var sharedKeyEnc = verifier.SharedKey switch
        {
            "" => null,
            null => existing?.SharedKeyEnc,
            { } key => sharedKeys.Seal(key, clientId),
        };
        var effective = verifier with { SharedKey = verifier.SharedKey is { Length: > 0 } ? verifier.SharedKey : sharedKeyEnc is null ? null : new string('x', 32) };
        foreach (var (field, message) in effective.Problems())
        {
            v.Add(field, message);
        }

        v.Require(verifier.JwksUri is not null || verifier.Keys is { Count: > 0 } || sharedKeyEnc is not null, "jwtVerifier",
            "needs a jwksUri, keys or a sharedKey");
        return (JsonSerializer.Serialize(verifier with { SharedKey = null }, JsonSerializerOptions.Web), sharedKeyEnc);
    }

    /// <summary>
    /// RFC 8705: the <c>tls_client_auth</c> rule (exactly one of its five values, when any is given) and
    /// the certificates of <c>self_signed_tls_client_auth</c>, as base64 DER. Both authenticate a
    /// confidential client; a public client may still bind its tokens to a certificate (§4).
    /// </summary>
    private static (TlsClientAuthRule? Rule, string[] Certificates) CheckMutualTls(Validation v, ClientDto body, bool isPublic, IReadOnlyCollection<string> grantTypes)
    {
        TlsClientAuthRule? rule = null;
        if (body.TlsClientAuthSubjectDn is not null || body.TlsClientAuthSanDns is not null || body.TlsClientAuthSanUri is not null
            || body.TlsClientAuthSanIp is not null || body.TlsClientAuthSanEmail is not null)
        {
            rule = new TlsClientAuthRule(body.TlsClientAuthSubjectDn, body.TlsClientAuthSanDns, body.TlsClientAuthSanUri, body.TlsClientAuthSanIp,
                body.TlsClientAuthSanEmail);
            if (new[] { rule.SubjectDn, rule.SanDns, rule.SanUri, rule.SanIp, rule.SanEmail }.Any(value => value is { Length: > 1024 }))
            {
                v.Add("tlsClientAuth", "at most 1024 characters");
            }
            else if (!TlsClientAuthRule.Validate(rule, out var problem))
            {
                v.Add("tlsClientAuth", problem);
            }

            v.Require(!isPublic, "tlsClientAuth", "a public client does not authenticate: tls_client_auth needs a confidential client");
        }

        var given = body.TlsClientCertificates ?? [];
        v.Require(given.Length <= MaxTlsClientCertificates, "tlsClientCertificates", $"at most {MaxTlsClientCertificates} certificates");
        v.Require(given.Length == 0 || !isPublic, "tlsClientCertificates",
            "a public client does not authenticate: self_signed_tls_client_auth needs a confidential client");
        var certificates = new List<string>(given.Length);
        for (var i = 0; i < given.Length && i < MaxTlsClientCertificates; i++)
        {
            if (ReadCertificate(given[i]) is { } der)
            {
                certificates.Add(Convert.ToBase64String(der));
            }
            else
            {
                v.Add($"tlsClientCertificates[{i}]", "must be one X.509 certificate, PEM or base64 DER");
            }
        }

        v.Require(body.TlsClientCertificateBoundAccessTokens != true || !grantTypes.Contains(GrantTypes.Implicit), "tlsClientCertificateBoundAccessTokens",
            "cannot be combined with the implicit grant, whose tokens are issued where no client certificate is presented");
        return (rule, [.. certificates.Distinct(StringComparer.Ordinal)]);
    }

    private const int MaxTlsClientCertificates = 10;

    /// <summary>
    /// The DER of exactly one certificate (PEM or base64 DER, at most 16 KiB); null otherwise, and for
    /// PEM with anything beside one certificate (a second one, a private key pasted along).
    /// </summary>
    private static byte[]? ReadCertificate(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > ClientCertHeader.MaxLength
            || (text.Contains("-----BEGIN", StringComparison.Ordinal) && CountOf(text, "-----BEGIN") != 1))
        {
            return null;
        }

        try
        {
            using var certificate = text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text.Trim()));
            return certificate.RawData;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null;
        }
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>FAPI 2.0 Security Profile §5.2, §5.3, §5.4 at registration; what is checked per request is enforced by the token and authorize services.</summary>
    private static void CheckFapi2(Validation v, ClientDto body, bool isPublic, string[] grantTypes, string[] redirectUris, bool certificateAuthentication)
    {
        v.Require(!isPublic, "profile", "fapi2 clients are confidential (FAPI 2.0 §5.3.2.1)");
        v.Require(!grantTypes.Any(g => g is GrantTypes.Implicit or GrantTypes.Password or GrantTypes.DeviceCode), "grantTypes",
            "fapi2 clients use neither the implicit, the password nor the device code grant (FAPI 2.0 §5.3.2.1: the code flow with PAR)");
        v.Require(redirectUris.All(u => u.StartsWith("https://", StringComparison.Ordinal)), "redirectUris", "fapi2 redirect URIs are https (FAPI 2.0 §5.3.2.2)");
        var verifier = body.JwtVerifier;
        var privateKeyJwt = verifier is { } jwt && (jwt.JwksUri is not null || jwt.Keys is { Count: > 0 });
        v.Require(certificateAuthentication || privateKeyJwt, "profile",
            "fapi2 clients authenticate with private_key_jwt (jwtVerifier with keys or a jwksUri) or mutual TLS (FAPI 2.0 §5.3.3.4)");
        if (verifier is not null)
        {
            v.Require(verifier.EffectiveAlgorithms.All(SigningAlgorithms.Fapi.Contains), "jwtVerifier.algorithms", "fapi2 clients sign with PS256 or ES256 only (FAPI 2.0 §5.4)");
            v.Require(verifier.ClockSkew is >= 10 and < 60, "jwtVerifier.clockSkew", "fapi2 clients' clock skew is 10-59 s: 10 s ahead accepted, a minute refused (FAPI 2.0 §5.3.2.1)");
        }

        foreach (var (field, alg) in (ReadOnlySpan<(string, string?)>)[("accessTokenSigningAlg", body.AccessTokenSigningAlg), ("idTokenSignedResponseAlg", body.IdTokenSignedResponseAlg)])
        {
            v.Require(alg is null || SigningAlgorithms.Fapi.Contains(alg), field, "fapi2 tokens are signed with PS256 or ES256 (FAPI 2.0 §5.4)");
        }
    }

    private static void CheckUris(Validation v, string field, string[] uris, bool isPublic)
    {
        for (var i = 0; i < uris.Length; i++)
        {
            if (ClientRules.CheckRedirectUri(uris[i], isPublic) is { } error)
            {
                v.Add($"{field}[{i}]", error);
            }
        }
    }

    /// <summary>
    /// The origins given, each normalized to the form browsers send; none given: the origins of the
    /// redirect URIs (https, or http on loopback), so a single-page app works without naming them.
    /// </summary>
    private static string[] CheckOrigins(Validation v, string[]? origins, string[] redirectUris)
    {
        if (origins is null)
        {
            return WebOrigins.DefaultFor(redirectUris);
        }

        v.Require(origins.Length <= WebOrigins.MaxCount, "allowedOrigins", $"at most {WebOrigins.MaxCount} origins");
        var result = new List<string>(origins.Length);
        for (var i = 0; i < origins.Length; i++)
        {
            if (!WebOrigins.TryNormalize(origins[i], out var origin, out var error))
            {
                v.Add($"allowedOrigins[{i}]", error);
            }
            else if (!result.Contains(origin))
            {
                result.Add(origin);
            }
        }

        return [.. result];
    }

    // Order kept for URIs (the first is the default for one-URI clients); duplicates dropped.
    private static string[] Distinct(string[]? values) => (values ?? []).Where(x => x is not null).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>As <see cref="ValidateAsync"/>; both null when scope-policy, the directory or federation-trust did not answer (the caller answers 503).</summary>
    public async Task<(ClientRecord? Client, Validation? Validation)> TryValidateAsync(ClientDto body, string clientId, ClientRecord? existing,
        CancellationToken cancellationToken)
    {
        try
        {
            return await ValidateAsync(body, clientId, existing, cancellationToken);
        }
        catch (RpcException e) when (IsUnavailable(e))
        {
            return (null, null);
        }
    }

    public static bool IsUnavailable(RpcException e) => e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;
}
