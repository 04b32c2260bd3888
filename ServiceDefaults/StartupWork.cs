using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OAuthAspire.ServiceDefaults;

/// <summary>Work a service must finish at start before it is ready (a bootstrap, a backfill, a hand-over).</summary>
public interface IStartupWork
{
    bool Done { get; }

    /// <summary>What readiness reports until <see cref="Done"/>.</summary>
    string Pending { get; }
}

/// <summary>Unhealthy (not ready) until the start-up work <typeparamref name="TWork"/> is done.</summary>
public sealed class StartupWorkHealthCheck<TWork>(TWork work) : IHealthCheck where TWork : IStartupWork
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(work.Done ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(work.Pending));
}

public static class StartupWorkExtensions
{
    /// <summary>Readiness waits for <typeparamref name="TWork"/> (registered by the caller).</summary>
    public static IHealthChecksBuilder AddStartupWork<TWork>(this IHealthChecksBuilder checks, string name) where TWork : class, IStartupWork =>
        checks.AddCheck<StartupWorkHealthCheck<TWork>>(name);
}
