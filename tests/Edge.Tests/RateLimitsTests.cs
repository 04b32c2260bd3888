using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// The limits themselves: each replica enforces its share, keys are counted apart, a peek spends
/// nothing, and a refusal says when to come back and is audited once per key and window, a typed
/// user name only as a keyed hash.
/// </summary>
public class RateLimitsTests
{
    internal const string HashKey = "rate-limit-tests-audit-hash-key-0123456789";

    internal static readonly IConfiguration Configuration = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [KeyedHash.ConfigKey] = HashKey })
        .Build();

    private readonly FakeAuditSink _audit = new();

    internal static RateLimits Limits(IAuditSink audit, Action<RateLimitOptions> configure)
    {
        var options = new RateLimitOptions();
        configure(options);
        return new RateLimits(Options.Create(options), audit, Configuration, NullLogger<RateLimits>.Instance);
    }

    [Fact]
    public void EachEdgeReplicaEnforcesItsShareOfTheLimit()
    {
        using var limits = Limits(_audit, o =>
        {
            o.LoginPerUser = new RateRule { Permits = 10, Window = TimeSpan.FromMinutes(1) };
            o.Replicas = 2;
        });

        var verdicts = Enumerable.Range(0, 6).Select(_ => limits.Acquire(RateLimits.LoginPerUser, "ada")).ToArray();

        Assert.All(verdicts[..5], v => Assert.True(v.Allowed));
        Assert.False(verdicts[5].Allowed);
        Assert.Equal(5, verdicts[5].Permits);
        Assert.True(verdicts[5].RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void KeysAreCountedApart()
    {
        using var limits = Limits(_audit, o => o.TokenPerClient = new RateRule { Permits = 1 });

        Assert.True(limits.Acquire(RateLimits.TokenPerClient, "billing-app").Allowed);
        Assert.False(limits.Acquire(RateLimits.TokenPerClient, "billing-app").Allowed);
        Assert.True(limits.Acquire(RateLimits.TokenPerClient, "reporting-app").Allowed);
    }

    [Fact]
    public void APeekSpendsNoPermit()
    {
        using var limits = Limits(_audit, o => o.TokenAuthFailuresPerAddress = new RateRule { Permits = 1, Window = TimeSpan.FromMinutes(1) });

        Assert.True(limits.Peek(RateLimits.TokenAuthFailuresPerAddress, "203.0.113.7").Allowed);
        Assert.True(limits.Peek(RateLimits.TokenAuthFailuresPerAddress, "203.0.113.7").Allowed);
        Assert.True(limits.Acquire(RateLimits.TokenAuthFailuresPerAddress, "203.0.113.7").Allowed);

        var refused = limits.Peek(RateLimits.TokenAuthFailuresPerAddress, "203.0.113.7");
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
    }

    [Fact]
    public async Task ARefusalSaysWhenToComeBackAndIsAuditedOncePerKeyAndWindow()
    {
        using var limits = Limits(_audit, o => o.TokenPerClient = new RateRule { Permits = 1, Window = TimeSpan.FromMinutes(1) });
        limits.Acquire(RateLimits.TokenPerClient, "billing-app");
        var verdict = limits.Acquire(RateLimits.TokenPerClient, "billing-app");

        var first = Http.Context(HttpMethods.Post, MetadataBuilder.Paths.Token);
        await limits.RefuseAsync(first, verdict, "billing-app", RefusalForm.OAuthJson);
        var second = Http.Context(HttpMethods.Post, MetadataBuilder.Paths.Token);
        await limits.RefuseAsync(second, verdict, "billing-app", RefusalForm.OAuthJson);

        var headers = first.Response.Headers;
        Assert.Equal(StatusCodes.Status429TooManyRequests, first.Response.StatusCode);
        var retryAfter = int.Parse(headers.RetryAfter.ToString(), CultureInfo.InvariantCulture);
        Assert.True(retryAfter >= 1, $"Retry-After {retryAfter}");
        Assert.Equal("\"TokenPerClient\";q=1;w=60", headers["RateLimit-Policy"].ToString());
        Assert.Equal($"\"TokenPerClient\";r=0;t={retryAfter}", headers["RateLimit"].ToString());
        Assert.Equal("1", headers["X-RateLimit-Limit"].ToString());
        Assert.Equal("0", headers["X-RateLimit-Remaining"].ToString());
        Assert.Equal(StatusCodes.Status429TooManyRequests, second.Response.StatusCode);

        var limited = Assert.IsType<RateLimited>(Assert.Single(_audit.Events));
        Assert.Equal(RateLimits.TokenPerClient, limited.Limit);
        Assert.Equal("billing-app", limited.Key);
        Assert.Equal("billing-app", limited.Actor.ClientId);
        Assert.Equal(AuditOutcome.Failure, limited.Outcome);
    }

    [Fact]
    public async Task ALoginRefusalIsAuditedUnderAKeyedHashOfTheTypedNameNeverTheName()
    {
        using var limits = Limits(_audit, o => o.LoginPerUser = new RateRule { Permits = 1 });
        const string typed = "correct horse battery staple";
        limits.Acquire(RateLimits.LoginPerUser, typed);
        var verdict = limits.Acquire(RateLimits.LoginPerUser, typed);

        await limits.RefuseAsync(Http.Context(HttpMethods.Post, MetadataBuilder.Paths.Login), verdict, typed, RefusalForm.Page);

        var limited = Assert.IsType<RateLimited>(Assert.Single(_audit.Events));
        Assert.Equal(new KeyedHash(HashKey, KeyedHash.RateLimitedUserPurpose).HexOf(typed), limited.Key);
        Assert.DoesNotContain("horse", limited.Key, StringComparison.Ordinal);
        Assert.Equal(AuditActor.None, limited.Actor);
    }
}
