using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Registers this service's identity (<see cref="ServiceIdentityOptions"/>): the verifier of the
/// service tokens others present (always; with no trusted callers it refuses every token), the
/// signer of its own (only with a private key: the sample API signs nothing) and the verifier of the
/// edge's identity assertions (for APIs).
/// </summary>
public static class ServiceIdentity
{
    /// <exception cref="InvalidOperationException">The private key is unreadable, or given without a name.</exception>
    public static IServiceCollection AddServiceIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ServiceIdentityOptions.Read(configuration);
        services.AddSingleton(options);
        services.AddSingleton(sp => new ServiceTokenVerifier(options, Time(sp)));
        services.AddSingleton(sp => new IdentityAssertionVerifier(
            sp.GetRequiredService<ServiceTokenVerifier>().KeysOf(ServiceNames.Edge), IdentityAssertion.AudienceFrom(configuration), Time(sp)));
        if (options.PrivateKey is { } privateKey)
        {
            var name = options.Name
                ?? throw new InvalidOperationException($"{ServiceIdentityOptions.Section}:Name is required with {ServiceIdentityOptions.Section}:PrivateKey.");

            // A bad key stops the service at start, not at its first call.
            try
            {
                _ = ServiceKeys.PublicKeyOf(privateKey);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"{ServiceIdentityOptions.Section}:PrivateKey is not a base64 PKCS#8 EC P-256 private key.", e);
            }

            services.AddSingleton(sp => new ServiceTokenSigner(name, ServiceKeys.ImportPrivate(privateKey), Time(sp)));
        }

        return services;
    }

    private static TimeProvider Time(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;
}
