using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Aspire.Hosting.ApplicationModel;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.AuditTail;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Zero trust inside: every internal call names its caller with a service token only that service
/// can sign, and each RPC admits only the callers on its allow-list. Called directly on each
/// service's gRPC endpoint, with tokens minted from the AppHost's per-service keys.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ServiceIdentityTests(SystemFixture system)
{
    [Fact]
    public async Task EveryRpcAdmitsExactlyTheServicesOnItsAllowListAndRefusesEveryOtherServiceAndAnyoneWithoutAValidToken()
    {
        // Every RPC the contracts define is in the matrix (AllowedCalls): a new one must be given its callers there.
        var rpcs = InternalCalls.AllRpcs().ToArray();
        Assert.Equal(AllowedCalls.All.Select(c => c.Rpc).Order(), rpcs.Select(r => $"{r.Service}/{r.Method}").Order());

        var keys = new Dictionary<string, string>();
        foreach (var service in InternalCalls.Services)
        {
            keys[service] = await system.ParameterAsync($"service-key-{service}");
        }

        var forger = InternalCalls.NewKey();
        var wrong = new List<string>();
        foreach (var (callee, service, method, allowed) in AllowedCalls.All)
        {
            using var channel = GrpcChannel.ForAddress(system.App.GetEndpoint(callee, "grpc"));
            foreach (var caller in InternalCalls.Services)
            {
                var status = await InternalCalls.CallAsync(channel, service, method, InternalCalls.Mint(keys[caller], caller, callee));
                var ok = allowed.Contains(caller)
                    ? status is not (StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                    : status == StatusCode.PermissionDenied;
                if (!ok)
                {
                    wrong.Add($"{caller} -> {method}: {status}");
                }
            }

            // No token; a token signed by a key that is not the claimed service's; one for another
            // callee; an expired one; a token of the right service but the wrong type.
            var owner = allowed.FirstOrDefault() ?? "edge";
            var otherCallee = callee == "token" ? "authorize" : "token";
            var refused = new (string What, string? Token)[]
            {
                ("none", null),
                ("forged", InternalCalls.Mint(forger, owner, callee)),
                ("other audience", InternalCalls.Mint(keys[owner], owner, otherCallee)),
                ("expired", InternalCalls.Mint(keys[owner], owner, callee, DateTime.UtcNow.AddMinutes(-5), TimeSpan.FromSeconds(60))),
                ("wrong type", InternalCalls.Mint(keys[owner], owner, callee, type: "at+jwt")),
                ("garbage", "not-a-token"),
            };
            foreach (var (what, token) in refused)
            {
                var status = await InternalCalls.CallAsync(channel, service, method, token);
                if (status != StatusCode.Unauthenticated)
                {
                    wrong.Add($"{what} -> {method}: {status}");
                }
            }
        }

        Assert.True(wrong.Count == 0, "unexpected answers:\n" + string.Join('\n', wrong));
    }

    [Fact]
    public async Task ARefusedInternalCallIsAuditedOncePerCallerAndRpcWithTheRepeatsCounted()
    {
        await using var reader = await AuditStreamReader.OpenAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!, new StartAt.Next());
        var key = await system.ParameterAsync("service-key-scope-policy");
        // From an address of this test's own: refusals are counted per source, and the matrix test
        // makes the same call from the usual one.
        using var channel = InternalCalls.ChannelFrom(system.App.GetEndpoint("token", "grpc"), "127.0.0.21");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(StatusCode.PermissionDenied, await InternalCalls.CallAsync(channel, "oauthaspire.tokenissuer.v1.TokenIssuer", "IssueImplicitTokens",
                InternalCalls.Mint(key, "scope-policy", "token")));
        }

        static bool Mine(JsonElement e) => e.GetProperty("remoteAddress").GetString() == "127.0.0.21"
            && (e.TryGetProperty("caller", out var c) && c.GetString() == "scope-policy" && e.GetProperty("method").GetString()!.EndsWith("/IssueImplicitTokens", StringComparison.Ordinal)
                || e.TryGetProperty("eventType", out var t) && t.GetString() == "InternalCallRefused"
                    && e.GetProperty("reason").GetString()!.Contains("scope-policy", StringComparison.Ordinal)
                    && e.GetProperty("reason").GetString()!.Contains("IssueImplicitTokens", StringComparison.Ordinal));
        Assert.True(await reader.ReadUntilAsync(entries => entries.Any(e => e.Event.GetProperty("type").GetString() == "RefusalsRepeated" && Mine(e.Event)),
            TimeSpan.FromSeconds(30)), "the repeats' count arrives when the window closes");
        var refused = Assert.Single(reader.Events, e => e.GetProperty("type").GetString() == "InternalCallRefused" && Mine(e));
        Assert.Equal("token", refused.GetProperty("service").GetString());
        Assert.Equal("Failure", refused.GetProperty("outcome").GetString());
        Assert.DoesNotContain("eyJ", refused.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(3, reader.Events.Where(e => e.GetProperty("type").GetString() == "RefusalsRepeated" && Mine(e)).Sum(e => e.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task OnlyTheEdgesOwnIdentityMakesAServiceBelieveTheIdentityHeaders()
    {
        // The directory's admin API, reached directly with an administrator's identity
        // headers: believed only with a service token of the edge's own, for this service.
        using var direct = new HttpClient { BaseAddress = system.App.GetEndpoint("directory", "http") };
        var edgeKey = await system.ParameterAsync("service-key-edge");
        var tokenKey = await system.ParameterAsync("service-key-token");

        async Task<HttpStatusCode> AdminListWith(string? proof)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/users");
            request.Headers.Add("X-OAuthAspire-Subject", "forged-admin");
            request.Headers.Add("X-OAuthAspire-Client", "forged-client");
            request.Headers.Add("X-OAuthAspire-Scopes", "admin.api");
            request.Headers.Add("X-OAuthAspire-Roles", "oauth_admin");
            if (proof is not null)
            {
                request.Headers.TryAddWithoutValidation(InternalCalls.EdgeHeader, proof);
            }

            using var response = await direct.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await AdminListWith(InternalCalls.Mint(edgeKey, "edge", "directory")));
        foreach (var proof in new[]
                 {
                     null,
                     InternalCalls.Mint(tokenKey, "token", "directory"),
                     InternalCalls.Mint(tokenKey, "edge", "directory"),
                     InternalCalls.Mint(edgeKey, "edge", "token"),
                     InternalCalls.Mint(edgeKey, "edge", "directory", DateTime.UtcNow.AddMinutes(-5)),
                     InternalCalls.Mint(InternalCalls.NewKey(), "edge", "directory"),
                     "not-a-token",
                 })
        {
            Assert.True(await AdminListWith(proof) is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, proof ?? "no proof");
        }
    }

    [Fact]
    public async Task ARotatedKeyIsAcceptedBeforeTheServiceSwitchesToItAndTheCurrentKeyStillWorks()
    {
        // The fixture configured a next key for the edge (Parameters:service-key-edge-next): every
        // callee trusts it alongside the current one, so the edge can switch without a refused call.
        using var channel = GrpcChannel.ForAddress(system.App.GetEndpoint("token", "grpc"));
        const string Service = "oauthaspire.tokenissuer.v1.TokenIssuer";
        Assert.Equal(StatusCode.OK, await InternalCalls.CallAsync(channel, Service, "ListRevocations",
            InternalCalls.Mint(SystemFixture.NextEdgeKey, "edge", "token")));
        Assert.Equal(StatusCode.OK, await InternalCalls.CallAsync(channel, Service, "ListRevocations",
            InternalCalls.Mint(await system.ParameterAsync("service-key-edge"), "edge", "token")));
        // The next key is the edge's alone: another service presenting it is still refused.
        Assert.Equal(StatusCode.Unauthenticated, await InternalCalls.CallAsync(channel, Service, "ListRevocations",
            InternalCalls.Mint(SystemFixture.NextEdgeKey, "authorize", "token")));
    }

    /// <summary>
    /// The processes outside the trust boundary: the sample API (its own database password only) and
    /// the admin console (its client's secret and its key ring's key only: a client of the public API).
    /// </summary>
    [Theory]
    [InlineData("table-api", "db-password-tableapi")]
    [InlineData("console", "console-client-secret console-key-encryption-key")]
    public async Task NothingTheSampleApisProcessCanSeeOpensAnyInternalEndpoint(string resource, string ownSecrets)
    {
        var model = system.App.Services.GetRequiredService<DistributedApplicationModel>();
        var api = model.Resources.OfType<ProjectResource>().Single(r => r.Name == resource);
        var environment = await system.ProcessEnvironmentAsync(resource);

        // No secret of the system, in its environment or its files, but its own.
        var own = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in ownSecrets.Split(' '))
        {
            own.Add(await system.ParameterAsync(name));
        }

        var secrets = new List<(string Name, string Value)>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(p => p.Secret))
        {
            var value = await parameter.GetValueAsync(default);
            if (!string.IsNullOrEmpty(value) && !own.Contains(value))
            {
                secrets.Add((parameter.Name, value));
            }
        }

        Assert.True(secrets.Count >= 10, "the system's secrets were found");
        var files = Directory.EnumerateFiles(Path.GetDirectoryName(api.GetProjectMetadata().ProjectPath)!, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".config", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToArray();
        foreach (var (name, value) in secrets)
        {
            Assert.DoesNotContain(environment, e => e.Value.Contains(value, StringComparison.Ordinal));
            Assert.DoesNotContain(files, f => f.Contains(value, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("ServiceIdentity__PrivateKey", StringComparison.Ordinal)
            || k.StartsWith("Internal__", StringComparison.Ordinal) || k.StartsWith("AuditHash__", StringComparison.Ordinal)
            || k == "ConnectionStrings__rabbitmq");

        // Every value it can see, tried as each kind of internal credential on the calls that would
        // mint codes and tokens, check a password or read another service's data.
        var targets = new (string Callee, string Service, string Method)[]
        {
            ("token", "oauthaspire.tokenissuer.v1.TokenIssuer", "CreateAuthorizationCode"),
            ("token", "oauthaspire.tokenissuer.v1.TokenIssuer", "IssueImplicitTokens"),
            ("directory", "oauthaspire.directory.v1.Directory", "VerifyPassword"),
            ("directory", "oauthaspire.directory.v1.Directory", "GetUser"),
            ("client-registry", "oauthaspire.clientregistry.v1.ClientRegistry", "GetVerifierKeys"),
        };
        var values = environment.Values.Where(v => v.Length >= 8).Distinct().ToArray();
        var wrong = new List<string>();
        foreach (var (callee, service, method) in targets)
        {
            using var channel = GrpcChannel.ForAddress(system.App.GetEndpoint(callee, "grpc"));
            foreach (var value in values)
            {
                var credentials = new List<string> { value };
                if (TryMintWith(value, callee) is { } minted)
                {
                    credentials.AddRange(minted);
                }

                foreach (var credential in credentials)
                {
                    if (await InternalCalls.CallAsync(channel, service, method, credential) != StatusCode.Unauthenticated)
                    {
                        wrong.Add($"{method} opened by a value of {resource}'s environment");
                    }
                }
            }
        }

        Assert.Empty(wrong);

        // Nor can it pose as the edge to a service's HTTP endpoint.
        using var direct = new HttpClient { BaseAddress = system.App.GetEndpoint("directory", "http") };
        foreach (var value in values)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/users");
            request.Headers.TryAddWithoutValidation(InternalCalls.EdgeHeader, value);
            request.Headers.TryAddWithoutValidation("X-OAuthAspire-Subject", "admin");
            request.Headers.TryAddWithoutValidation("X-OAuthAspire-Client", "admin");
            request.Headers.TryAddWithoutValidation("X-OAuthAspire-Scopes", "useraccount");
            request.Headers.TryAddWithoutValidation("X-OAuthAspire-Roles", "oauth_admin admin");
            using var response = await direct.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"admin API answered {response.StatusCode}");
        }
    }

    /// <summary>Service tokens for every service name signed with the value, when it is a private key at all.</summary>
    private static IEnumerable<string>? TryMintWith(string value, string audience)
    {
        try
        {
            _ = InternalCalls.Mint(value, "edge", audience);
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }

        return InternalCalls.Services.Select(s => InternalCalls.Mint(value, s, audience)).ToArray();
    }
}
