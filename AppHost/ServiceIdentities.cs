using System.Security.Cryptography;
using Aspire.Hosting.Publishing;
using Microsoft.Extensions.Configuration;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost;

/// <summary>
/// Each service's own EC P-256 key pair, with which it signs the short-lived tokens that name it to
/// the services it calls. The private key is the secret parameter <c>service-key-&lt;service&gt;</c>
/// (base64 PKCS#8, generated once and kept in the AppHost's user secrets) and reaches that service
/// alone; every service is given every service's public key (base64 SubjectPublicKeyInfo), derived
/// here from the parameter, so nothing public has to be kept in step by hand.
/// </summary>
/// <remarks>
/// Rotation: with <c>Parameters:service-key-&lt;service&gt;-next</c> set, its public key is trusted beside
/// the current one (<c>ServiceIdentity__Trusted__&lt;service&gt;__1</c>). Set it, restart the callees, move
/// it into <c>service-key-&lt;service&gt;</c>, restart the service, remove it.
/// </remarks>
public sealed class ServiceIdentities
{
    private readonly bool _publish;
    private readonly Dictionary<string, IResourceBuilder<ParameterResource>> _privateKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IResourceBuilder<ParameterResource>> _auditKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IResourceBuilder<ParameterResource>> _publishedPublicKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _nextPublicKeys = new(StringComparer.Ordinal);

    public ServiceIdentities(IDistributedApplicationBuilder builder)
    {
        _publish = builder.ExecutionContext.IsPublishMode;
        foreach (var name in ServiceNames.All)
        {
            if (_publish)
            {
                // A deployment cannot generate an EC key pair from the manifest (a generated value is
                // a random string), nor derive a public key: the deployer supplies both, the private
                // key as a secret and its public key as a plain value.
                _privateKeys[name] = builder.AddParameter($"service-key-{name}", secret: true);
                _publishedPublicKeys[name] = builder.AddParameter($"service-key-{name}-public");
                _auditKeys[name] = builder.AddParameter($"audit-key-{name}", secret: true);
                continue;
            }

            // The key that MACs the service's audit events and signs their chains' checkpoints (its
            // public half is what auditors pin: tools/audit keys).
            _auditKeys[name] = builder.AddParameter($"audit-key-{name}", new EcPrivateKeyDefault(), secret: true, persist: true);

            _privateKeys[name] = builder.AddParameter($"service-key-{name}", new EcPrivateKeyDefault(), secret: true, persist: true);
            if (builder.Configuration[$"Parameters:service-key-{name}-next"] is { Length: > 0 } next)
            {
                _nextPublicKeys[name] = PublicKeyOf(next, $"Parameters:service-key-{name}-next");
            }
        }
    }

    /// <summary>Gives a service its name and private key, and every service's public keys.</summary>
    public IResourceBuilder<ProjectResource> Give(IResourceBuilder<ProjectResource> service, string name)
    {
        if (!_privateKeys.TryGetValue(name, out var privateKey))
        {
            throw new ArgumentException($"'{name}' holds no service identity; known: {string.Join(", ", ServiceNames.All)}.", nameof(name));
        }

        service.WithEnvironment("ServiceIdentity__Name", name)
            .WithEnvironment("ServiceIdentity__PrivateKey", privateKey)
            .WithEnvironment("Audit__Key", _auditKeys[name]);
        return Trust(service, ServiceNames.All);
    }

    /// <summary>
    /// An API behind the edge: only the edge's public keys, to check the identity assertions the edge
    /// adds for tokens of trusted providers. No private key, no other secret.
    /// </summary>
    public IResourceBuilder<ProjectResource> TrustEdge(IResourceBuilder<ProjectResource> api) => Trust(api, [ServiceNames.Edge]);

    private IResourceBuilder<ProjectResource> Trust(IResourceBuilder<ProjectResource> service, IReadOnlyList<string> callers)
    {
        if (_publish)
        {
            foreach (var caller in callers)
            {
                service.WithEnvironment($"ServiceIdentity__Trusted__{caller}__0", _publishedPublicKeys[caller]);
            }

            return service;
        }

        // Resolved when the process starts: the parameter's value may be generated only then.
        return service.WithEnvironment(async context =>
        {
            foreach (var caller in callers)
            {
                var privateKey = await _privateKeys[caller].Resource.GetValueAsync(context.CancellationToken)
                    ?? throw new InvalidOperationException($"Parameter service-key-{caller} has no value.");
                context.EnvironmentVariables[$"ServiceIdentity__Trusted__{caller}__0"] = PublicKeyOf(privateKey, $"Parameters:service-key-{caller}");
                if (_nextPublicKeys.TryGetValue(caller, out var next))
                {
                    context.EnvironmentVariables[$"ServiceIdentity__Trusted__{caller}__1"] = next;
                }
            }
        });
    }

    /// <summary>The base64 SubjectPublicKeyInfo of a base64 PKCS#8 EC P-256 private key.</summary>
    private static string PublicKeyOf(string privateKey, string source)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey.Trim()), out _);
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"an EC key of {key.KeySize} bits, not P-256");
            }

            return Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            throw new DistributedApplicationException($"{source} is not a base64 PKCS#8 EC P-256 private key ({e.Message}).", e);
        }
    }

    /// <summary>Generates a fresh P-256 private key, base64 PKCS#8 (kept in the user secrets once generated).</summary>
    private sealed class EcPrivateKeyDefault : ParameterDefault
    {
        public override string GetDefaultValue()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return Convert.ToBase64String(key.ExportPkcs8PrivateKey());
        }

        // Never in a manifest: publish mode declares the keys as parameters without a default.
        public override void WriteToManifest(ManifestPublishingContext context) =>
            throw new NotSupportedException("Service keys are generated in run mode only; a deployment supplies its own.");
    }
}
