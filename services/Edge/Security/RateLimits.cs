using OAuthAspire.Protocol.Discovery;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Protocol.Security;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>One limit: so many requests per window (configuration <c>RateLimits:{Name}</c>).</summary>
public sealed class RateRule
{
    public int Permits { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The limits, for the whole system: each edge replica enforces its share (<see cref="Replicas"/>),
/// so no request costs a database write or a call to another process.
/// </summary>
public sealed class RateLimitOptions
{
    public RateRule TokenPerClient { get; set; } = new() { Permits = 1200 };

    public RateRule TokenPerAddress { get; set; } = new() { Permits = 6000 };

    public RateRule LoginPerUser { get; set; } = new() { Permits = 10 };

    public RateRule ApiPerClient { get; set; } = new() { Permits = 6000 };

    /// <summary>Failed token requests naming a client (a wrong secret, a public client's junk code) per address: charged to whoever fails, never to the client they named.</summary>
    public RateRule TokenAuthFailuresPerAddress { get; set; } = new() { Permits = 300 };

    /// <summary>Calls to the APIs per address, counted before any token check (a flood of junk tokens costs nothing behind).</summary>
    public RateRule ApiPerAddress { get; set; } = new() { Permits = 12000 };

    /// <summary>Authorization requests per address.</summary>
    public RateRule AuthorizePerAddress { get; set; } = new() { Permits = 600 };

    /// <summary>Calls to the self-registration endpoints per address (RFC 7591 §5: registration is a resource to protect).</summary>
    public RateRule RegistrationPerAddress { get; set; } = new() { Permits = 20 };

    /// <summary>Device authorization requests per address (RFC 8628 §5.2): anyone naming a public client may ask, so each live code is paid for here.</summary>
    public RateRule DeviceAuthorizationPerAddress { get; set; } = new() { Permits = 60 };

    /// <summary>Edge replicas sharing the limits (set by the AppHost).</summary>
    public int Replicas { get; set; } = 1;
}

/// <summary>The verdict for one request: allowed, or refused with what the caller needs to back off.</summary>
public readonly record struct RateVerdict(bool Allowed, string Limit, int Permits, TimeSpan Window, TimeSpan RetryAfter);

/// <summary>
/// Token buckets per client, address and user, in memory. A refused caller gets 429 with
/// Retry-After, the IETF RateLimit/RateLimit-Policy headers and ServiceNow's X-RateLimit-*; the
/// first refusal per key and window is audited (not every one: an attack must not turn into a
/// flood of database writes).
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly Dictionary<string, (RateRule Rule, PartitionedRateLimiter<string> Limiter)> _limits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Limit, string Key), long> _audited = new();
    private readonly IAuditSink _audit;
    private readonly ILogger<RateLimits> _logger;
    private readonly KeyedHash _userNames;

    public RateLimits(IOptions<RateLimitOptions> options, IAuditSink audit, IConfiguration configuration, ILogger<RateLimits> logger)
    {
        _audit = audit;
        _logger = logger;
        _userNames = KeyedHash.FromConfiguration(configuration, KeyedHash.RateLimitedUserPurpose);
        var o = options.Value;
        Add(nameof(o.TokenPerClient), o.TokenPerClient, o.Replicas);
        Add(nameof(o.TokenPerAddress), o.TokenPerAddress, o.Replicas);
        Add(nameof(o.LoginPerUser), o.LoginPerUser, o.Replicas);
        Add(nameof(o.ApiPerClient), o.ApiPerClient, o.Replicas);
        Add(nameof(o.TokenAuthFailuresPerAddress), o.TokenAuthFailuresPerAddress, o.Replicas);
        Add(nameof(o.ApiPerAddress), o.ApiPerAddress, o.Replicas);
        Add(nameof(o.AuthorizePerAddress), o.AuthorizePerAddress, o.Replicas);
        Add(nameof(o.DeviceAuthorizationPerAddress), o.DeviceAuthorizationPerAddress, o.Replicas);
        Add(nameof(o.RegistrationPerAddress), o.RegistrationPerAddress, o.Replicas);
    }

    public const string TokenPerClient = nameof(RateLimitOptions.TokenPerClient);
    public const string TokenPerAddress = nameof(RateLimitOptions.TokenPerAddress);
    public const string LoginPerUser = nameof(RateLimitOptions.LoginPerUser);
    public const string ApiPerClient = nameof(RateLimitOptions.ApiPerClient);
    public const string TokenAuthFailuresPerAddress = nameof(RateLimitOptions.TokenAuthFailuresPerAddress);
    public const string ApiPerAddress = nameof(RateLimitOptions.ApiPerAddress);
    public const string AuthorizePerAddress = nameof(RateLimitOptions.AuthorizePerAddress);
    public const string DeviceAuthorizationPerAddress = nameof(RateLimitOptions.DeviceAuthorizationPerAddress);
    public const string RegistrationPerAddress = nameof(RateLimitOptions.RegistrationPerAddress);

    private void Add(string name, RateRule rule, int replicas)
    {
        // This replica's share, refilled smoothly: one permit every window/permits.
        var permits = Math.Max(1, rule.Permits / Math.Max(1, replicas));
        var perSecond = permits / Math.Max(1, rule.Window.TotalSeconds);
        var (period, tokens) = perSecond >= 1
            ? (TimeSpan.FromSeconds(1), (int)Math.Floor(perSecond))
            : (rule.Window / permits, 1);
        var limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = permits,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }), StringComparer.Ordinal);
        _limits[name] = (new RateRule { Permits = permits, Window = rule.Window }, limiter);
    }

    public RateVerdict Acquire(string limit, string key)
    {
        var (rule, limiter) = _limits[limit];
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return new RateVerdict(true, limit, rule.Permits, rule.Window, TimeSpan.Zero);
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return new RateVerdict(false, limit, rule.Permits, rule.Window, retryAfter);
    }

    /// <summary>
    /// Whether the key has a permit left, taking none: for limits charged only once the outcome is
    /// known. Concurrent requests may all see the last permit, so such a limit can be exceeded by
    /// the requests in flight at that moment, never by more.
    /// </summary>
    public RateVerdict Peek(string limit, string key)
    {
        var (rule, limiter) = _limits[limit];
        return limiter.GetStatistics(key) is { CurrentAvailablePermits: <= 0 }
            ? new RateVerdict(false, limit, rule.Permits, rule.Window, rule.Window / Math.Max(1, rule.Permits))
            : new RateVerdict(true, limit, rule.Permits, rule.Window, TimeSpan.Zero);
    }

    /// <summary>Answers a refused request (429) in the endpoint's form and audits the first refusal per key and window.</summary>
    public async Task RefuseAsync(HttpContext context, RateVerdict verdict, string key, RefusalForm form)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(verdict.RetryAfter.TotalSeconds));
        var response = context.Response;
        var policy = $"\"{verdict.Limit}\";q={verdict.Permits};w={(int)verdict.Window.TotalSeconds}";
        response.Headers["RateLimit-Policy"] = policy;
        response.Headers["RateLimit"] = $"\"{verdict.Limit}\";r=0;t={seconds}";
        response.Headers["X-RateLimit-Limit"] = verdict.Permits.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Remaining"] = "0";
        response.Headers["X-RateLimit-Reset"] = DateTimeOffset.UtcNow.AddSeconds(seconds).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await EdgeRefusal.WriteAsync(context, StatusCodes.Status429TooManyRequests, seconds.ToString(CultureInfo.InvariantCulture), form,
            form == RefusalForm.Page ? "Too many attempts" : "Too Many Requests",
            "Too many requests; try again after the time in Retry-After.", "Please wait a moment before trying again.");
        await AuditOnceAsync(context, verdict, key);
    }

    private async Task AuditOnceAsync(HttpContext context, RateVerdict verdict, string key)
    {
        var now = Environment.TickCount64;
        var id = (verdict.Limit, key);
        if (_audited.TryGetValue(id, out var last) && now - last < verdict.Window.TotalMilliseconds)
        {
            return;
        }

        if (_audited.Count > 10_000)
        {
            _audited.Clear();
        }

        _audited[id] = now;
        // A typed user name may be no account at all, or a password typed in the wrong field: the
        // trail gets a keyed hash of it (the same for every refusal of that name), never the name.
        var recorded = verdict.Limit == LoginPerUser ? _userNames.HexOf(key) : key.Length > 256 ? key[..256] : key;
        try
        {
            await _audit.WriteAsync(new RateLimited(verdict.Limit, recorded, context.Request.Method, context.Request.Path.Value ?? "")
            {
                Outcome = AuditOutcome.Failure,
                Reason = $"over {verdict.Permits} per {verdict.Window.TotalSeconds:0} s",
                RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
                Actor = verdict.Limit is TokenPerClient or ApiPerClient ? AuditActor.Client(key) : AuditActor.None,
            }, context.RequestAborted);
        }
        catch (Exception e) when (Dependencies.Away(e))
        {
            _logger.LogWarning("Could not record a rate limit refusal: {Reason}", e.Message);
        }
    }

    public void Dispose()
    {
        foreach (var (_, limiter) in _limits.Values)
        {
            limiter.Dispose();
        }
    }
}

/// <summary>
/// Limits before forwarding: the token-family endpoints per address, per failing address and per
/// authenticated client (from Basic authentication or the form's client_id), the login form per
/// user name, the APIs and the authorization endpoint per address.
/// </summary>
public sealed class RateLimitGate(RequestDelegate next, RateLimits limits)
{
    private const long MaxFormToRead = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (path.StartsWithSegments("/api") || IsAuthorize(path))
        {
            // Counted before any token check or look-up: junk is cheap to refuse.
            var limit = IsAuthorize(path) ? RateLimits.AuthorizePerAddress : RateLimits.ApiPerAddress;
            // The authorization endpoint may fetch a client's metadata document: an IPv6 sender counts by its /64.
            // Refused under the key counted: a /64 changing its low bits still gets one audited refusal per window.
            var key = IsAuthorize(path) ? AddressKeys.Of(address) : address;
            var verdict = limits.Acquire(limit, key);
            if (!verdict.Allowed)
            {
                await limits.RefuseAsync(context, verdict, key, EdgeRefusal.FormFor(path));
                return;
            }

            await next(context);
            return;
        }

        if (path.StartsWithSegments(MetadataBuilder.Paths.Registration))
        {
            // Every method: registering, reading, replacing and deleting a registration.
            if (limits.Acquire(RateLimits.RegistrationPerAddress, AddressKeys.Of(address)) is { Allowed: false } registrations)
            {
                await limits.RefuseAsync(context, registrations, AddressKeys.Of(address), RefusalForm.OAuthJson);
                return;
            }

            await next(context);
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await next(context);
            return;
        }

        if (path.StartsWithSegments(MetadataBuilder.Paths.DeviceAuthorization)
            && limits.Acquire(RateLimits.DeviceAuthorizationPerAddress, AddressKeys.Of(address)) is { Allowed: false } devices)
        {
            await limits.RefuseAsync(context, devices, AddressKeys.Of(address), RefusalForm.OAuthJson);
            return;
        }

        if (IsTokenFamily(path))
        {
            // A push or a device request succeeds for anyone naming a public client: it never spends the client's allowance.
            await TokenFamilyAsync(context, address, chargesClient: !path.StartsWithSegments(MetadataBuilder.Paths.PushedAuthorization)
                && !path.StartsWithSegments(MetadataBuilder.Paths.DeviceAuthorization));
            return;
        }

        var userName = path.StartsWithSegments(MetadataBuilder.Paths.Login) ? await FormValueAsync(context, "username") : null;
        if (await RefusedAsTooLargeAsync(context))
        {
            return;
        }

        if (userName is { Length: > 0 })
        {
            var key = userName.Trim().ToLowerInvariant();
            var byUser = limits.Acquire(RateLimits.LoginPerUser, key);
            if (!byUser.Allowed)
            {
                await limits.RefuseAsync(context, byUser, key, RefusalForm.Page);
                return;
            }
        }

        await next(context);
    }

    /// <summary>
    /// Per address always; per client only for requests that succeeded: a client's allowance is
    /// charged after the answer, so nobody can spend a victim client's permits by naming it with a
    /// wrong secret or, for a public client, a junk code. Such failures are charged to the address.
    /// </summary>
    private async Task TokenFamilyAsync(HttpContext context, string address, bool chargesClient)
    {
        // PAR and device authorization start flows here (a metadata document may be fetched): IPv6 counts by its /64.
        address = AddressKeys.Of(address);
        var byAddress = limits.Acquire(RateLimits.TokenPerAddress, address);
        if (!byAddress.Allowed)
        {
            await limits.RefuseAsync(context, byAddress, address, RefusalForm.OAuthJson);
            return;
        }

        var failures = limits.Peek(RateLimits.TokenAuthFailuresPerAddress, address);
        if (!failures.Allowed)
        {
            await limits.RefuseAsync(context, failures, address, RefusalForm.OAuthJson);
            return;
        }

        var clientId = await ClientIdAsync(context);
        if (await RefusedAsTooLargeAsync(context))
        {
            return;
        }

        if (clientId is { Length: > 0 } && limits.Peek(RateLimits.TokenPerClient, clientId) is { Allowed: false } byClient)
        {
            await limits.RefuseAsync(context, byClient, clientId, RefusalForm.OAuthJson);
            return;
        }

        // RFC 8628 §3.5: a device polls with 400 authorization_pending until its user answers, which is no
        // failure; the token service marks such answers with a header that goes no further than here.
        var devicePoll = false;
        context.Response.OnStarting(() =>
        {
            devicePoll = context.Response.Headers.Remove(DevicePolling.PollAnswerHeader);
            return Task.CompletedTask;
        });
        await next(context);
        // Only a success spends the client's allowance: a public client is named by its client_id
        // alone, so a failure naming it (401, or a junk code) is the caller's, charged to its address.
        var status = context.Response.StatusCode;
        if (status is >= 200 and < 300 && clientId is { Length: > 0 })
        {
            if (chargesClient)
            {
                limits.Acquire(RateLimits.TokenPerClient, clientId);
            }
        }
        else if (status == StatusCodes.Status401Unauthorized || (status is >= 400 and < 500 && clientId is { Length: > 0 } && !devicePoll))
        {
            limits.Acquire(RateLimits.TokenAuthFailuresPerAddress, address);
        }
    }

    /// <summary>The authorization endpoint and the device verification page: per address, before anything is looked up.</summary>
    private static bool IsAuthorize(PathString path) => path.StartsWithSegments(MetadataBuilder.Paths.Authorization) || path.StartsWithSegments(MetadataBuilder.Paths.AuthorizationAlias)
        || path.StartsWithSegments(MetadataBuilder.Paths.Device);

    private static bool IsTokenFamily(PathString path) =>
        path.StartsWithSegments(MetadataBuilder.Paths.Token) || path.StartsWithSegments(MetadataBuilder.Paths.TokenAlias)
        || path.StartsWithSegments(MetadataBuilder.Paths.Introspection) || path.StartsWithSegments(MetadataBuilder.Paths.Revocation)
        || path.StartsWithSegments(MetadataBuilder.Paths.PushedAuthorization) || path.StartsWithSegments(MetadataBuilder.Paths.DeviceAuthorization);

    private static async Task<string?> ClientIdAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return ClientAuthentication.TryDecodeBasic(authorization["Basic ".Length..], out var id, out _) ? id : null;
        }

        return await FormValueAsync(context, "client_id");
    }

    /// <summary>Reads one field of a small form body, leaving the body in place for the service behind.</summary>
    private static async Task<string?> FormValueAsync(HttpContext context, string name)
    {
        var request = context.Request;
        // A chunked body (no length) is read too, up to the same size: it must not skip the limits.
        if (!request.HasFormContentType || request.ContentLength > MaxFormToRead)
        {
            return null;
        }

        try
        {
            request.EnableBuffering(bufferThreshold: (int)MaxFormToRead, bufferLimit: MaxFormToRead);
            var form = await request.ReadFormAsync(context.RequestAborted);
            return form.TryGetValue(name, out var value) && value.Count == 1 ? value[0] : null;
        }
        catch (IOException) when (request.ContentLength is null)
        {
            // A chunked form over the size the services read: half read, it cannot be forwarded whole.
            context.Items[TooLargeItem] = true;
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            // Malformed: the service behind answers it with its own error.
            return null;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    private const string TooLargeItem = "oauthaspire.form-too-large";

    /// <summary>Refuses a chunked form that outgrew what the edge reads (413, in the endpoint's form); true when it did.</summary>
    private static async Task<bool> RefusedAsTooLargeAsync(HttpContext context)
    {
        if (!context.Items.ContainsKey(TooLargeItem))
        {
            return false;
        }

        var form = EdgeRefusal.FormFor(context.Request.Path);
        await EdgeRefusal.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, null, form, form == RefusalForm.Page ? "Request too large" : "Payload Too Large",
            $"The request body is larger than {MaxFormToRead / 1024} KiB.", "The request was too large.", "invalid_request");
        return true;
    }
}
