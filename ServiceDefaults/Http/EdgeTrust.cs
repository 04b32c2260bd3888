using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// The shared internal key (an AppHost secret parameter) that proves a request or call comes
/// from one of our own services. The edge sends it with every proxied request; gRPC clients
/// send it with every call.
/// </summary>
public sealed class InternalKey
{
    public const string ConfigKey = "Internal:Key";
    public const string EdgeHeader = "X-OAuthAspire-Edge";
    public const string GrpcHeader = "x-oauthaspire-internal";

    private readonly byte[] _key;

    public InternalKey(string? value) => _key = Encoding.UTF8.GetBytes(value ?? "");

    public string Value => Encoding.UTF8.GetString(_key);

    public bool IsConfigured => _key.Length > 0;

    /// <summary>Constant-time comparison; an unconfigured key never matches.</summary>
    public bool Matches(string? presented) =>
        IsConfigured && presented is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key);
}

/// <summary>
/// Client address and scheme come from <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> only when
/// the request carries the edge's internal key; from anyone else those headers are dropped, so a
/// caller reaching a service directly cannot pose as another address.
/// </summary>
public static class EdgeTrust
{
    public const string FromEdgeItem = "oauthaspire.from-edge";

    public static IServiceCollection AddEdgeTrust(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(new InternalKey(configuration[InternalKey.ConfigKey]));

    public static IApplicationBuilder UseEdgeForwardedHeaders(this IApplicationBuilder app)
    {
        var key = app.ApplicationServices.GetRequiredService<InternalKey>();
        return app.Use((context, next) =>
        {
            Apply(context, key);
            return next(context);
        });
    }

    public static bool IsFromEdge(this HttpContext context) => context.Items.ContainsKey(FromEdgeItem);

    internal static void Apply(HttpContext context, InternalKey key)
    {
        var headers = context.Request.Headers;
        var fromEdge = key.Matches(headers[InternalKey.EdgeHeader].ToString());
        headers.Remove(InternalKey.EdgeHeader);
        if (fromEdge)
        {
            context.Items[FromEdgeItem] = true;
            // The edge overwrites these with exactly one value each.
            if (IPAddress.TryParse(headers["X-Forwarded-For"].ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            var proto = headers["X-Forwarded-Proto"].ToString();
            if (proto is "http" or "https")
            {
                context.Request.Scheme = proto;
            }
        }
        else
        {
            headers.Remove("X-Forwarded-For");
            headers.Remove("X-Forwarded-Proto");
            headers.Remove("X-Forwarded-Host");
            headers.Remove("X-Forwarded-Prefix");
        }
    }
}
