using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>
/// One rule "this event drops that from a cache", declared with <see cref="InvalidateOn{TEvent}"/>
/// next to the cache it serves and handed to AddOAuthService. The bus runs one
/// <see cref="CacheInvalidationConsumer{TEvent}"/> per event type on the instance queue, so every
/// replica hears every event.
/// </summary>
public abstract class CacheInvalidation
{
    private protected CacheInvalidation()
    {
    }

    /// <summary>The bus consumer that applies the rule.</summary>
    public abstract Type Consumer { get; }

    /// <summary>Registers the rules with the container and answers the consumers the bus must run (one per event type).</summary>
    public static Type[] Register(IServiceCollection services, IEnumerable<CacheInvalidation> rules)
    {
        var consumers = new List<Type>();
        foreach (var rule in rules)
        {
            rule.AddTo(services);
            if (!consumers.Contains(rule.Consumer))
            {
                consumers.Add(rule.Consumer);
            }
        }

        return [.. consumers];
    }

    private protected abstract void AddTo(IServiceCollection services);
}

/// <summary>A rule applied when <typeparamref name="TEvent"/> arrives.</summary>
public abstract class CacheInvalidation<TEvent> : CacheInvalidation where TEvent : class
{
    private protected CacheInvalidation()
    {
    }

    public sealed override Type Consumer => typeof(CacheInvalidationConsumer<TEvent>);

    internal abstract void Apply(IServiceProvider services, TEvent message);

    private protected sealed override void AddTo(IServiceCollection services) => services.AddSingleton(this);
}

/// <summary>
/// What <typeparamref name="TEvent"/> drops, one line per cache, in place of a hand-written consumer:
/// <c>InvalidateOn&lt;ClientUpdated&gt;.Key((ClientStatus s) =&gt; s._cache, e =&gt; e.ClientId)</c>.
/// The owner (a singleton) is resolved when the event arrives.
/// </summary>
public static class InvalidateOn<TEvent> where TEvent : class
{
    /// <summary>The event names one entry of the owner's cache: drop that key only.</summary>
    public static CacheInvalidation Key<TOwner, TKey>(Func<TOwner, IInvalidatable<TKey>> cache, Func<TEvent, TKey> key) where TOwner : notnull =>
        new KeyRule<TOwner, TKey>(cache, key);

    /// <summary>The event may change any entry of the owner's cache: drop them all.</summary>
    public static CacheInvalidation All<TOwner>(Func<TOwner, IInvalidatable> cache) where TOwner : notnull => new AllRule<TOwner>(cache);

    private sealed class KeyRule<TOwner, TKey>(Func<TOwner, IInvalidatable<TKey>> cache, Func<TEvent, TKey> key) : CacheInvalidation<TEvent>
        where TOwner : notnull
    {
        internal override void Apply(IServiceProvider services, TEvent message) => cache(services.GetRequiredService<TOwner>()).Invalidate(key(message));
    }

    private sealed class AllRule<TOwner>(Func<TOwner, IInvalidatable> cache) : CacheInvalidation<TEvent> where TOwner : notnull
    {
        internal override void Apply(IServiceProvider services, TEvent message) => cache(services.GetRequiredService<TOwner>()).Clear();
    }
}

/// <summary>Applies every rule declared for <typeparamref name="TEvent"/>; registered once per event type.</summary>
public sealed class CacheInvalidationConsumer<TEvent>(IServiceProvider services, IEnumerable<CacheInvalidation<TEvent>> rules) : IConsumer<TEvent>
    where TEvent : class
{
    public Task Consume(ConsumeContext<TEvent> context)
    {
        Apply(context.Message);
        return Task.CompletedTask;
    }

    public void Apply(TEvent message)
    {
        foreach (var rule in rules)
        {
            rule.Apply(services, message);
        }
    }
}
