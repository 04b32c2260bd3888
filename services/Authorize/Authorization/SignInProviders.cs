using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Http;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>
/// The trusts the login page offers ("Sign in with …"), from federation-trust, held for a minute at
/// most and dropped by any trust change. While federation-trust is away the page offers the ones it
/// last knew (their domains still go to their providers, never to a password check), and the
/// password form works as ever.
/// </summary>
public sealed class SignInProviders(IServiceProvider services, ILogger<SignInProviders> logger)
{
    private readonly CachedLookup<int, IReadOnlyList<SignInProvider>> _all = new(async (_, ct) =>
        (await services.GetRequiredService<FederationTrustClient>().ListSignInProvidersAsync(new ListSignInProvidersRequest(), cancellationToken: ct)).Providers);

    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<TrustCreated>.All((SignInProviders p) => p._all),
        InvalidateOn<TrustUpdated>.All((SignInProviders p) => p._all),
        InvalidateOn<TrustDeleted>.All((SignInProviders p) => p._all),
    ];

    // The last list had: while federation-trust is away, home-realm discovery must not fall back to passwords.
    private volatile IReadOnlyList<SignInProvider> _lastKnown = [];

    public async Task<IReadOnlyList<SignInProvider>> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            return _lastKnown = await _all.GetAsync(0, cancellationToken);
        }
        catch (Exception e) when (Dependencies.Away(e) && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("federation-trust is away: the login page offers the providers it last knew ({Count}): {Reason}", _lastKnown.Count, e.Message);
            return _lastKnown;
        }
    }

    public async Task<SignInProvider?> FindAsync(string? trust, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(p => p.Trust == trust);

    /// <summary>Home-realm discovery: the provider a user name's email domain signs in through, if any.</summary>
    public async Task<SignInProvider?> ForUserNameAsync(string? userName, CancellationToken cancellationToken) =>
        BrokeredSignIn.DomainOf(userName) is { } domain
            ? (await ListAsync(cancellationToken)).FirstOrDefault(p => p.EmailDomains.Contains(domain))
            : null;
}
