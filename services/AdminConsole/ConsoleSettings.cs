using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.AdminConsole;

/// <summary>What the console is told at start: the issuer it signs in with and calls, its client's secret, and its key ring.</summary>
/// <param name="KeyRingPath">A directory every replica shares (the AppHost's data directory locally; a volume in a deployment).</param>
/// <param name="KeyRingKey">Seals the key ring at rest (the AppHost's <c>console-key-encryption-key</c>).</param>
public sealed record ConsoleSettings(string Issuer, string ClientId, string ClientSecret, string KeyRingPath, string KeyRingKey)
{
    /// <summary>Secure cookies whenever the issuer is HTTPS: the console itself is reached over the edge's loopback hop.</summary>
    public CookieSecurePolicy CookieSecurity => Issuer.StartsWith("https://", StringComparison.Ordinal) ? CookieSecurePolicy.Always : CookieSecurePolicy.None;

    public static ConsoleSettings From(IConfiguration configuration, bool development)
    {
        var issuer = Protocol.Issuer.Create(configuration["OAuth:Issuer"], allowHttpLoopback: development).Value;
        return new ConsoleSettings(
            issuer,
            configuration["Console:ClientId"] is { Length: > 0 } clientId ? clientId : AdminConsoleApp.ClientId,
            Required(configuration, "Console:ClientSecret"),
            Required(configuration, "Console:KeyRingPath"),
            Required(configuration, "Console:KeyRingKey"));
    }

    private static string Required(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value ? value : throw new InvalidOperationException($"{key} is required.");
}
